import type { Command } from 'commander';
import type { ListedCredential } from '../../src/lib/credentials/credential-listing.js';
import type { FleetStatusView } from '../../src/lib/health/fleet-status.js';
import type { CliContext } from '../cli-context.js';
import { textTable } from '../text-table.js';

/** Secrets ending within this many days are listed. */
const soonDays = 30;

const counted = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ${n}`)
    .join(', ') || 'none';

/** The fleet summary in words: what the workbook shows, from the API. */
export function describeFleet(status: FleetStatusView, ending: ListedCredential[] | undefined): string {
  const lines = [
    `Tenants: ${status.tenants.total} (${counted(status.tenants.byStatus)}).`,
    `Runs today: ${counted(status.runsToday.byStatus)}; ${status.runsToday.throttled} waiting on Graph throttling (429).`,
  ];
  if (status.slowestToday.length > 0)
    lines.push(
      'Slowest today:',
      textTable(
        ['TENANT', 'RUN', 'STATUS', 'SECONDS'],
        status.slowestToday.map((run) => [run.tenantId, run.runId, run.status, run.seconds]),
      ),
    );
  const workflows = Object.entries(status.workflows).filter(([, states]) => Object.keys(states).length > 0);
  lines.push(
    workflows.length === 0
      ? 'Workflows under way: none.'
      : `Workflows under way: ${workflows.map(([name, states]) => `${name} (${counted(states)})`).join('; ')}.`,
  );
  const { delivery } = status;
  lines.push(
    `Event delivery: ${delivery.enabled ? 'on' : 'OFF'}; ${delivery.pending} pending${
      delivery.oldestPendingSeconds !== undefined ? `, the oldest for ${delivery.oldestPendingSeconds} s` : ''
    }.`,
  );
  if (ending === undefined) return lines.join('\n');
  lines.push(
    ending.length === 0
      ? `Secrets ending within ${soonDays} days: none.`
      : `Secrets ending within ${soonDays} days:\n${textTable(
          ['TENANT', 'SERVICE', 'DAYS LEFT', 'RENEWED BY'],
          ending.map((credential) => [
            credential.tenantId,
            credential.serviceId,
            credential.daysLeft,
            credential.renewal,
          ]),
        )}`,
  );
  return lines.join('\n');
}

/** `status`. */
export function statusCommands(program: Command, cli: CliContext): void {
  program
    .command('status')
    .description(
      "the fleet at a glance: tenants by status, today's runs, the slowest, workflows under way, event delivery, secrets ending soon",
    )
    .option(
      '--no-secrets',
      'leave out the secrets ending soon (they look at every tenant’s Key Vault entries)',
    )
    .action(async (options: { secrets: boolean }) => {
      const status = await cli.call<FleetStatusView>('GET', '/status');
      const ending = options.secrets
        ? (await cli.call<{ value: ListedCredential[] }>('GET', '/credentials')).value.filter(
            (credential) => credential.daysLeft !== undefined && credential.daysLeft <= soonDays,
          )
        : undefined;
      cli.print({ ...status, ...(ending ? { secretsEndingSoon: ending } : {}) }, () =>
        describeFleet(status, ending),
      );
    });
}
