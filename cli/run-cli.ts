import { Command, CommanderError, Option } from 'commander';
import { tenantStatuses } from '../src/lib/tenants/tenant-record.js';
import { type CliConfig, resolveConfig } from './cli-config.js';
import { CliError, callConnector } from './connector-client.js';
import { textTable } from './text-table.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

interface Invitation {
  id: string;
  status: string;
  customer: { reference: string; name: string };
  services: { id: string; name: string }[];
  licenceType: string;
  method: string;
  automaticDns: boolean;
  createdAt: string;
  expiresAt: string;
  url?: string;
  tenantId?: string;
}

interface SentEvent {
  eventId: string;
  type: string;
  tenantId: string;
  status: string;
  attempts: number;
  createdAt: string;
  lastStatus?: number;
}

const day = (iso: string) => iso.replace('T', ' ').slice(0, 16);

interface Tenant {
  tenantId: string;
  status: string;
  verdict?: string;
  customer: { reference: string; name: string };
  clientId: string;
  method: string;
  services: { id: string }[];
  validatedAt?: string;
}

interface Run {
  runId: string;
  status: string;
  phase: string;
  pages: number;
  requests: number;
  elapsedSeconds?: number;
  reason?: string;
  counts: Record<string, number>;
}

interface Validation {
  status: string;
  report?: {
    verdict: string;
    requirements: { description: string; satisfied: boolean; satisfiedBy?: string; action?: string }[];
    warnings: { message: string }[];
  };
  problem?: { message: string };
}

function describeValidation(validation: Validation): string {
  if (validation.problem) return `The credentials do not work: ${validation.problem.message}`;
  if (!validation.report) return 'Not validated yet.';
  const lines = [`Verdict: ${validation.report.verdict}`];
  for (const requirement of validation.report.requirements) {
    lines.push(
      `  ${requirement.satisfied ? 'ok  ' : 'TODO'} ${requirement.description}${requirement.satisfied ? (requirement.satisfiedBy ? ` (${requirement.satisfiedBy})` : '') : `: ${requirement.action ?? ''}`}`,
    );
  }
  for (const warning of validation.report.warnings) lines.push(`  warning: ${warning.message}`);
  return lines.join('\n');
}

function parseService(value: string, previous: { id: string; name: string }[] = []) {
  const [id, ...name] = value.split('=');
  if (!id || name.length === 0)
    throw new CliError(`--service takes id=name, e.g. dr-london="Direct Routing London" (got ${value}).`);
  return [...previous, { id, name: name.join('=') }];
}

/**
 * The operator CLI: `connector invite | invitations | invitation | revoke | events | delivery`. Signs every call as
 * the core does; prints tables for people, or JSON with --json. Returns the exit code.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('connector')
    .description('Operate the M365 Tenant Connector as the platform core does.')
    .option('--url <url>', 'the connector API base, e.g. http://localhost:7071/api')
    .option('--key <key>', 'the function key')
    .option('--secret <whsec>', 'a Standard Webhooks signing secret the connector accepts')
    .option('--json', 'print JSON for scripts')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  const config = (): CliConfig => {
    try {
      return resolveConfig(program.opts(), io.env, io.cwd);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  };
  const json = () => Boolean(program.opts().json);
  const print = (value: unknown, human: () => string) =>
    io.out(`${json() ? JSON.stringify(value, null, 2) : human()}\n`);

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
    .option('--expected-tenant <tenant>', 'the tenant (GUID or domain) the admin must sign in to')
    .action(async (options) => {
      const created = (await callConnector(config(), 'POST', '/invitations', {
        customer: { reference: options.customerRef, name: options.customerName },
        services: options.service,
        licenceType: options.licence,
        method: options.method,
        automaticDns: options.automaticDns,
        ...(options.expectedTenant ? { expectedTenant: options.expectedTenant } : {}),
      })) as Invitation;
      print(created, () =>
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
      const query = new URLSearchParams({
        top: options.top,
        ...(options.status ? { status: options.status } : {}),
      });
      const { value } = (await callConnector(config(), 'GET', `/invitations?${query}`)) as {
        value: Invitation[];
      };
      print(value, () =>
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
      const invitation = (await callConnector(
        config(),
        'GET',
        `/invitations/${encodeURIComponent(id)}`,
      )) as Invitation;
      print(invitation, () =>
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
      const invitation = (await callConnector(
        config(),
        'DELETE',
        `/invitations/${encodeURIComponent(id)}`,
      )) as Invitation;
      print(invitation, () => `Invitation ${invitation.id} is ${invitation.status}.`);
    });

  program
    .command('tenants')
    .description('connected tenants, newest first')
    .addOption(new Option('--status <status>').choices([...tenantStatuses]))
    .option('--top <n>', 'how many', '50')
    .action(async (options) => {
      const query = new URLSearchParams({
        top: options.top,
        ...(options.status ? { status: options.status } : {}),
      });
      const { value } = (await callConnector(config(), 'GET', `/tenants?${query}`)) as { value: Tenant[] };
      print(value, () =>
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
      const tenant = (await callConnector(config(), 'GET', `/tenants/${id}`)) as Tenant;
      const validation = (await callConnector(config(), 'GET', `/tenants/${id}/validation`)) as Validation;
      print(
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
            ],
          )}\n\n${describeValidation(validation)}`,
      );
    });

  program
    .command('validate <tenantId>')
    .description("check a tenant's roles and permissions now")
    .action(async (tenantId: string) => {
      const validation = (await callConnector(
        config(),
        'POST',
        `/tenants/${encodeURIComponent(tenantId)}/validate`,
      )) as Validation;
      print(validation, () => describeValidation(validation));
    });

  program
    .command('replicate <tenantId>')
    .description('replicate a tenant now and follow its progress until it ends')
    .option('--no-wait', 'only queue the run')
    .option('--interval <seconds>', 'how often to look at its progress', '2')
    .action(async (tenantId: string, options) => {
      const id = encodeURIComponent(tenantId);
      const queued = (await callConnector(config(), 'POST', `/tenants/${id}/replicate`)) as Run;
      if (!options.wait) return print(queued, () => `Run ${queued.runId} queued.`);
      let run = queued;
      while (!['completed', 'failed', 'skipped'].includes(run.status)) {
        await new Promise((resolve) => setTimeout(resolve, Number(options.interval) * 1000));
        const { value } = (await callConnector(
          config(),
          'GET',
          `/tenants/${id}/replication-runs?top=20`,
        )) as { value: Run[] };
        run = value.find((candidate) => candidate.runId === queued.runId) ?? run;
        if (!json())
          io.out(
            `  ${run.status.padEnd(9)} ${run.phase.padEnd(8)} pages ${run.pages}  requests ${run.requests}  ${run.elapsedSeconds ?? 0}s\n`,
          );
      }
      print(
        run,
        () =>
          `Run ${run.runId} ${run.status}${run.reason ? `: ${run.reason}` : ''}. ${
            Object.entries(run.counts)
              .filter(([, n]) => n > 0)
              .map(([name, n]) => `${name} ${n}`)
              .join(', ') || 'No changes.'
          }`,
      );
      if (run.status !== 'completed')
        throw new CliError(`Replication ${run.status}${run.reason ? `: ${run.reason}` : ''}.`);
    });

  program
    .command('events')
    .description('events sent (or waiting to be sent) to the core, newest first')
    .option('--tenant <tenantId>')
    .addOption(new Option('--status <status>').choices(['pending', 'delivered', 'failed']))
    .option('--top <n>', 'how many', '50')
    .action(async (options) => {
      const query = new URLSearchParams({
        top: options.top,
        ...(options.tenant ? { tenantId: options.tenant } : {}),
        ...(options.status ? { status: options.status } : {}),
      });
      const { value } = (await callConnector(config(), 'GET', `/events?${query}`)) as { value: SentEvent[] };
      print(value, () =>
        value.length === 0
          ? 'No events.'
          : textTable(
              ['EVENT', 'TYPE', 'TENANT', 'STATUS', 'TRIES', 'LAST', 'CREATED'],
              value.map((e) => [
                e.eventId,
                e.type,
                e.tenantId,
                e.status,
                e.attempts,
                e.lastStatus,
                day(e.createdAt),
              ]),
            ),
      );
    });

  program
    .command('delivery')
    .description('show whether events are delivered to the core, or turn delivery on or off')
    .option('--enable', 'turn delivery on (after the core answered 410 Gone)')
    .option('--disable', 'turn delivery off')
    .action(async (options) => {
      const state = (
        options.enable || options.disable
          ? await callConnector(config(), 'PUT', '/event-delivery', { enabled: Boolean(options.enable) })
          : await callConnector(config(), 'GET', '/event-delivery')
      ) as { enabled: boolean; coreWebhookUrl?: string; reason?: string };
      print(
        state,
        () =>
          `Event delivery is ${state.enabled ? 'on' : `off (${state.reason ?? 'no reason recorded'})`}${state.coreWebhookUrl ? `, to ${state.coreWebhookUrl}` : ''}.`,
      );
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
