import { type Command, Option } from 'commander';
import type { ListedCredential } from '../../src/lib/credentials/credential-listing.js';
import type { ServiceCredentialView } from '../../src/lib/credentials/credential-view.js';
import { type CreatedInvitation, methods } from '../../src/lib/invitations/invitation-schema.js';
import type { NearRealTimeView } from '../../src/lib/near-real-time/near-real-time-view.js';
import type { OffboardingView } from '../../src/lib/offboarding/offboarding-progress.js';
import { type TenantView, tenantStatuses } from '../../src/lib/tenants/tenant-record.js';
import type { TenantValidationView } from '../../src/lib/validation/validation-report-schema.js';
import { type CliContext, day, exitCodes, queryOf } from '../cli-context.js';
import { textTable } from '../text-table.js';
import { describeNearRealTime } from './near-real-time-state.js';

function describeValidation(validation: TenantValidationView): string {
  if (validation.problem) return `The credentials do not work: ${validation.problem.message}`;
  if (!validation.report) return 'Not validated yet.';
  const lines = [`Verdict: ${validation.report.verdict}`];
  for (const requirement of validation.report.requirements) {
    const how = requirement.satisfied
      ? requirement.satisfiedBy
        ? ` (${requirement.satisfiedBy})`
        : ''
      : `: ${requirement.action ?? ''}`;
    lines.push(`  ${requirement.satisfied ? 'ok  ' : 'TODO'} ${requirement.description}${how}`);
  }
  for (const warning of validation.report.warnings) lines.push(`  warning: ${warning.message}`);
  return lines.join('\n');
}

function describeCredential(credential: ServiceCredentialView): string {
  const expiry = credential.expiresAt
    ? `expires ${day(credential.expiresAt)} (${credential.daysLeft} days)`
    : 'not in Key Vault';
  const rotation = credential.rotation
    ? `; rotation ${credential.rotation.state}${credential.rotation.failure ? `: ${credential.rotation.failure}` : ''}`
    : '';
  return `${expiry}, renewed by the ${credential.renewal}${rotation}`;
}

/** `tenants`, `tenant`, `credentials`, `reconnect`, `offboard`, `validate`. */
export function tenantCommands(program: Command, cli: CliContext): void {
  program
    .command('tenants')
    .description('connected tenants, newest first')
    .addOption(new Option('--status <status>').choices([...tenantStatuses]))
    .option('--top <n>', 'how many', '50')
    .action(async (options) => {
      const query = queryOf({ top: options.top, status: options.status });
      const { value } = await cli.call<{ value: TenantView[] }>('GET', `/tenants?${query}`);
      cli.print(value, () =>
        value.length === 0
          ? 'No tenants.'
          : textTable(
              ['TENANT', 'STATUS', 'VERDICT', 'CUSTOMER', 'METHOD', 'VALIDATED'],
              value.map((t) => [
                t.tenantId,
                t.status,
                t.verdict,
                `${t.customer.name} (${t.customer.reference})`,
                t.method,
                t.validatedAt ? day(t.validatedAt) : undefined,
              ]),
            ),
      );
    });

  program
    .command('tenant <tenantId>')
    .description("one tenant's connection and its last validation")
    .action(async (tenantId: string) => {
      const id = encodeURIComponent(tenantId);
      const tenant = await cli.call<
        TenantView & {
          credentials?: ServiceCredentialView[];
          offboarding?: OffboardingView;
          nearRealTime?: NearRealTimeView;
          accessTokens?: { issued: number; requestsThisHour: number; limitPerHour: number };
        }
      >('GET', `/tenants/${id}`);
      // An offboarded tenant (or one on its way out) has no validation worth reading: what went and what is left.
      if (tenant.offboarding) {
        const { offboarding } = tenant;
        cli.print(tenant, () =>
          [
            textTable(
              ['FIELD', 'VALUE'],
              [
                ['tenant', tenant.tenantId],
                ['status', tenant.status],
                ['customer', `${tenant.customer.name} (${tenant.customer.reference})`],
                ['app (client id)', tenant.clientId],
                ['offboarding', offboarding.state],
              ],
            ),
            '',
            ...offboarding.removed.map((item) => `removed: ${item}`),
            ...offboarding.leftToCustomer.map((item) => `left to the customer: ${item}`),
          ].join('\n'),
        );
        return;
      }
      const validation = await cli.call<TenantValidationView>('GET', `/tenants/${id}/validation`);
      cli.print(
        { ...tenant, validation },
        () =>
          `${textTable(
            ['FIELD', 'VALUE'],
            [
              ['tenant', tenant.tenantId],
              ['status', tenant.status],
              ['customer', `${tenant.customer.name} (${tenant.customer.reference})`],
              ['app (client id)', tenant.clientId],
              ['method', tenant.method],
              ['services', tenant.services.map((s) => s.id).join(', ')],
              ...(tenant.credentials ?? []).flatMap((credential) => [
                [`${credential.kind ?? 'secret'} of ${credential.serviceId}`, describeCredential(credential)],
                ...(credential.vault
                  ? [
                      [
                        `  in Key Vault`,
                        [
                          `${credential.vault.secretName}${credential.vault.version ? ` version ${credential.vault.version}` : ''}`,
                          ...(credential.vault.certificateName
                            ? [
                                `certificate ${credential.vault.certificateName} key ${credential.vault.keyVersion}`,
                              ]
                            : []),
                          ...(credential.vault.keyId ? [`app key id ${credential.vault.keyId}`] : []),
                        ].join(', '),
                      ],
                    ]
                  : []),
              ]),
              ['near-real-time', describeNearRealTime(tenant.nearRealTime)],
              ...(tenant.accessTokens
                ? [
                    [
                      'access tokens',
                      `${tenant.accessTokens.issued} issued; ${tenant.accessTokens.requestsThisHour} of ${tenant.accessTokens.limitPerHour} requests this hour`,
                    ],
                  ]
                : []),
            ],
          )}\n\n${describeValidation(validation)}`,
      );
    });

  program
    .command('credentials')
    .description("every tenant's service secrets and certificates, soonest to end first")
    .action(async () => {
      const { value } = await cli.call<{ value: ListedCredential[] }>('GET', '/credentials');
      cli.print(value, () =>
        value.length === 0
          ? 'No secrets.'
          : textTable(
              ['EXPIRES', 'DAYS', 'TENANT', 'CUSTOMER', 'SERVICE', 'KIND', 'RENEWAL', 'ROTATION'],
              value.map((c) => [
                c.expiresAt ? day(c.expiresAt) : undefined,
                c.daysLeft === undefined ? undefined : String(c.daysLeft),
                c.tenantId,
                `${c.customer.name} (${c.customer.reference})`,
                c.serviceId,
                c.kind,
                c.unavailable ? `unknown: ${c.unavailable}` : c.renewal,
                c.rotation
                  ? `${c.rotation.state}${c.rotation.failure ? `: ${c.rotation.failure}` : ''}`
                  : undefined,
              ]),
            ),
      );
    });

  program
    .command('reconnect <tenantId>')
    .description("a link for the tenant's admin to reconnect it (sign in again or enter new credentials)")
    .addOption(
      new Option('--method <method>', 'how the admin may reconnect').choices([...methods]).default('either'),
    )
    .action(async (tenantId: string, options) => {
      const created = await cli.call<CreatedInvitation>(
        'POST',
        `/tenants/${encodeURIComponent(tenantId)}/reconnect`,
        { method: options.method },
      );
      cli.print(
        created,
        () => `Reconnect link for ${tenantId} (until ${day(created.expiresAt)}):\n${created.url}`,
      );
    });

  program
    .command('offboard <tenantId>')
    .description(
      "offboard a tenant: the connector's credentials off its app, its Key Vault entries and data deleted",
    )
    .option('--remove-registration', 'also delete the app registration (last), when the connector may')
    .action(async (tenantId: string, options: { removeRegistration?: boolean }) => {
      const offboarding = await cli.call<OffboardingView & { customerPage: string }>(
        'DELETE',
        `/tenants/${encodeURIComponent(tenantId)}`,
        { tenantId, removeRegistration: options.removeRegistration ?? false },
      );
      cli.print(offboarding, () =>
        [
          `Offboarding of ${tenantId}: ${offboarding.state}${offboarding.state === 'done' ? '' : ` (follow it with: npm run cli -- tenant ${tenantId})`}`,
          ...offboarding.removed.map((item) => `  removed: ${item}`),
          ...offboarding.leftToCustomer.map((item) => `  left to the customer: ${item}`),
          `Page for the customer's admin: ${offboarding.customerPage}`,
        ].join('\n'),
      );
    });

  program
    .command('validate <tenantId>')
    .description("check a tenant's roles and permissions now")
    .action(async (tenantId: string) => {
      const validation = await cli.call<TenantValidationView>(
        'POST',
        `/tenants/${encodeURIComponent(tenantId)}/validate`,
      );
      cli.print(validation, () => describeValidation(validation));
      // Credentials that no longer work, or roles and permissions missing: a person must act.
      if (validation.problem || (validation.report && validation.report.verdict !== 'ready'))
        cli.exitCode = exitCodes.needsPerson;
    });
}
