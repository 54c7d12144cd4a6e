import { type Command, Option } from 'commander';
import type { CreatedInvitation, InvitationView } from '../../src/lib/invitations/invitation-schema.js';
import { type CliContext, day, queryOf } from '../cli-context.js';
import { CliError } from '../connector-client.js';
import { textTable } from '../text-table.js';

function parseService(value: string, previous: { id: string; name: string }[] = []) {
  const [id, ...name] = value.split('=');
  if (!id || name.length === 0)
    throw new CliError(`--service takes id=name, e.g. dr-london="Direct Routing London" (got ${value}).`);
  return [...previous, { id, name: name.join('=') }];
}

/** `invite`, `invitations`, `invitation`, `revoke`. */
export function invitationCommands(program: Command, cli: CliContext): void {
  program
    .command('invite')
    .description('create an invitation for a customer tenant admin')
    .requiredOption('--customer-ref <reference>', "the customer's reference in the platform")
    .requiredOption('--customer-name <name>', "the customer's name, shown to their admin")
    .requiredOption('--service <id=name>', 'a Direct Routing service (repeat for more)', parseService)
    .addOption(
      new Option('--licence <type>', 'the licence type')
        .choices(['HostedEssentialsPlus', 'HostedPro'])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--method <method>', 'how the app registration is made')
        .choices(['automatic', 'manual', 'either'])
        .default('either'),
    )
    .option('--automatic-dns', 'create the DNS sub-domain and activation user automatically', false)
    .option(
      '--site <siteId=label>',
      'with --automatic-dns: the initial site, its sub-domain <label>.SBC_BASE_DOMAIN',
    )
    .option('--usage-location <country>', 'with --site: the activation user’s country (e.g. GB)')
    .option('--expected-tenant <tenant>', 'the tenant (GUID or domain) the admin must sign in to')
    .action(async (options) => {
      const created = await cli.call<CreatedInvitation>('POST', '/invitations', {
        customer: { reference: options.customerRef, name: options.customerName },
        services: options.service,
        licenceType: options.licence,
        method: options.method,
        automaticDns: options.automaticDns,
        ...(options.site ? { site: siteOf(options.site, options.usageLocation) } : {}),
        ...(options.expectedTenant ? { expectedTenant: options.expectedTenant } : {}),
      });
      cli.print(created, () =>
        [
          `Invitation ${created.id} for ${created.customer.name} (${created.customer.reference}), valid until ${day(created.expiresAt)} UTC.`,
          '',
          "Send this link to the customer's admin (it is shown only now):",
          `  ${created.url}`,
        ].join('\n'),
      );
    });

  program
    .command('invitations')
    .description('list invitations, newest first')
    .addOption(new Option('--status <status>').choices(['pending', 'expired', 'revoked', 'completed']))
    .option('--top <n>', 'how many', '50')
    .action(async (options) => {
      const query = queryOf({ top: options.top, status: options.status });
      const { value } = await cli.call<{ value: InvitationView[] }>('GET', `/invitations?${query}`);
      cli.print(value, () =>
        value.length === 0
          ? 'No invitations.'
          : textTable(
              ['ID', 'STATUS', 'CUSTOMER', 'SERVICES', 'LICENCE', 'CREATED', 'EXPIRES'],
              value.map((i) => [
                i.id,
                i.status,
                `${i.customer.name} (${i.customer.reference})`,
                i.services.map((s) => s.id).join(','),
                i.licenceType,
                day(i.createdAt),
                day(i.expiresAt),
              ]),
            ),
      );
    });

  program
    .command('invitation <id>')
    .description('show one invitation')
    .action(async (id: string) => {
      const invitation = await cli.call<InvitationView>('GET', `/invitations/${encodeURIComponent(id)}`);
      cli.print(invitation, () =>
        textTable(
          ['FIELD', 'VALUE'],
          [
            ['id', invitation.id],
            ['status', invitation.status],
            ['customer', `${invitation.customer.name} (${invitation.customer.reference})`],
            ['services', invitation.services.map((s) => `${s.id} (${s.name})`).join(', ')],
            ['licence', invitation.licenceType],
            ['method', invitation.method],
            ['automatic DNS', invitation.automaticDns ? 'yes' : 'no'],
            ['created', day(invitation.createdAt)],
            ['expires', day(invitation.expiresAt)],
            ['tenant', invitation.tenantId],
          ],
        ),
      );
    });

  program
    .command('revoke <id>')
    .description('revoke an invitation: its link stops working')
    .action(async (id: string) => {
      const invitation = await cli.call<InvitationView>('DELETE', `/invitations/${encodeURIComponent(id)}`, {
        id,
      });
      cli.print(invitation, () => `Invitation ${invitation.id} is ${invitation.status}.`);
    });
}

function siteOf(site: string, usageLocation: string | undefined) {
  const [siteId, label] = site.split('=');
  if (!siteId || !label) throw new CliError(`The site is siteId=label, e.g. hq=contoso (got ${site}).`);
  if (!usageLocation)
    throw new CliError('A site needs --usage-location (the activation user’s country, e.g. GB).');
  return { siteId, label, usageLocation };
}
