import { type Command, Option } from 'commander';
import type { ServiceCredentialView } from '../../src/lib/credentials/credential-view.js';
import { licenceTypes } from '../../src/lib/invitations/invitation-schema.js';
import type { ServiceRemovalView, ServiceView } from '../../src/lib/services/service-schema.js';
import { type CliContext, day } from '../cli-context.js';
import { CliError } from '../connector-client.js';

interface IssuedTokens {
  tenantId: string;
  serviceId: string;
  tokens: {
    resource: string;
    audience: string;
    accessToken: string;
    expiresAt: string;
    expiresInSeconds: number;
  }[];
}

/**
 * `add-service`, `remove-service`, `rotate`, `access-tokens`: Day Two services on an onboarded tenant, their
 * secrets and the short-lived tokens minted with them.
 */
export function serviceCommands(program: Command, cli: CliContext): void {
  program
    .command('add-service <tenantId> <id=name>')
    .description('add a Direct Routing service to a tenant, with a new secret of its own')
    .addOption(
      new Option('--licence <type>', 'the service licence').choices([...licenceTypes]).makeOptionMandatory(),
    )
    .action(async (tenantId: string, service: string, options: { licence: string }) => {
      const [id, ...name] = service.split('=');
      if (!id || name.length === 0)
        throw new CliError(`The service is id=name, e.g. dr-paris="Direct Routing Paris" (got ${service}).`);
      const added = await cli.call<ServiceView>('POST', `/tenants/${encodeURIComponent(tenantId)}/services`, {
        id,
        name: name.join('='),
        licenceType: options.licence,
      });
      cli.print(added, () =>
        added.secretLink
          ? `Service ${added.service.id} waits for the customer's admin to give its secret at (until ${day(added.secretLink.expiresAt)}):\n${added.secretLink.url}`
          : `Service ${added.service.id} (${added.service.name}) is on tenant ${added.tenantId}; its secret expires ${day(added.service.secretExpiresAt ?? '')}.`,
      );
    });

  program
    .command('remove-service <tenantId> <serviceId>')
    .description('remove a service: its password from the app where possible, and its secret')
    .action(async (tenantId: string, serviceId: string) => {
      const removed = await cli.call<ServiceRemovalView>(
        'DELETE',
        `/tenants/${encodeURIComponent(tenantId)}/services/${encodeURIComponent(serviceId)}`,
        { tenantId, serviceId },
      );
      cli.print(removed, () =>
        [
          `Service ${removed.serviceId} is removed from tenant ${removed.tenantId} and its secret from Key Vault.`,
          removed.passwordRemoved
            ? 'Its password is removed from the app registration.'
            : `Left to the customer: ${removed.leftToCustomer}`,
        ].join('\n'),
      );
    });

  program
    .command('rotate <tenantId> <serviceId>')
    .description("rotate a service's secret now (the connector renews it without downtime)")
    .action(async (tenantId: string, serviceId: string) => {
      const started = await cli.call<ServiceCredentialView>(
        'POST',
        `/tenants/${encodeURIComponent(tenantId)}/services/${encodeURIComponent(serviceId)}/rotate`,
      );
      const notBefore = started.rotation?.finishesNotBefore;
      cli.print(started, () =>
        [
          `Rotation of ${started.serviceId}'s secret started; follow it with: npm run cli -- tenant ${tenantId}`,
          ...(notBefore
            ? [
                `It ends (credentials.rotated) no earlier than ${notBefore.replace(/\.\d+Z$/, 'Z')}: the old secret stays until no instance can still hold it.`,
              ]
            : []),
        ].join('\n'),
      );
    });

  program
    .command('access-tokens <tenantId> <serviceId>')
    .description(
      "short-lived tokens of a service's own credential for Teams PowerShell and Graph (their expiry and audience; the tokens only with --reveal)",
    )
    .addOption(new Option('--resource <resource>', 'only this token').choices(['graph', 'teams']))
    .option('--reveal', 'print the tokens themselves (they act in the tenant: never paste them anywhere)')
    .action(async (tenantId: string, serviceId: string, options: { resource?: string; reveal?: boolean }) => {
      const issued = await cli.call<IssuedTokens>(
        'POST',
        `/tenants/${encodeURIComponent(tenantId)}/services/${encodeURIComponent(serviceId)}/access-tokens`,
        options.resource ? { resources: [options.resource] } : {},
      );
      const shown = options.reveal
        ? issued
        : {
            ...issued,
            tokens: issued.tokens.map(({ accessToken: _hidden, ...token }) => token),
          };
      cli.print(shown, () =>
        issued.tokens
          .map((token) =>
            [
              `${token.resource}: for ${token.audience}, until ${token.expiresAt.replace(/\.\d+Z$/, 'Z')} (${Math.floor(token.expiresInSeconds / 60)} min)`,
              ...(options.reveal ? [token.accessToken] : []),
            ].join('\n'),
          )
          .join('\n'),
      );
    });
}
