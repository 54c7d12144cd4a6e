import type { Command } from 'commander';
import type { NearRealTimeView } from '../../src/lib/near-real-time/near-real-time-view.js';
import type { ReplicaCounts } from '../../src/lib/replication/replica-snapshot.js';
import { objectKinds, replicatedKinds } from '../../src/lib/replication/replicated-kinds.js';
import type { ReplicationRunView } from '../../src/lib/replication/replication-run.js';
import { type CliContext, exitCodes } from '../cli-context.js';
import { CliError } from '../connector-client.js';
import { textTable } from '../text-table.js';
import { describeNearRealTime } from './near-real-time-state.js';

/** One change of the feed, as the API gives it. */
interface FeedChange {
  seq: string;
  at: string;
  op: string;
  kind: string;
  id: string;
}

const ended = (run: ReplicationRunView) => ['completed', 'held', 'failed', 'skipped'].includes(run.status);

function describeRun(run: ReplicationRunView): string {
  const changes = Object.entries(run.counts)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  const summary = `Run ${run.runId} ${run.status}${run.reason ? `: ${run.reason}` : ''}. ${changes || 'No changes.'}`;
  if (!run.held) return summary;
  const removals = Object.entries(run.held.removals)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return `${summary}\nRemovals held (${removals}): nothing of them was removed. Release them with --release once they are right.`;
}

/** The run to release: the one named, or the tenant's current hold. */
async function heldRun(cli: CliContext, tenantId: string, named: string | true): Promise<string> {
  if (typeof named === 'string') return named;
  const { value } = await cli.call<{ value: ReplicationRunView[] }>(
    'GET',
    `/tenants/${tenantId}/replication-runs?top=100`,
  );
  const holding = value.find((run) => run.held?.state === 'holding');
  if (!holding) throw new CliError('The tenant has no run holding removals.');
  return holding.runId;
}

/** `replicate`, `replica`, `runs`, `changes`, `snapshot`, `near-real-time`. */
export function replicationCommands(program: Command, cli: CliContext): void {
  program
    .command('near-real-time <tenantId> <on|off>')
    .description(
      "turn near-real-time replication on or off (Graph's change notifications start the tenant's run)",
    )
    .action(async (tenantId: string, state: string) => {
      if (state !== 'on' && state !== 'off') throw new CliError(`Say on or off (got ${state}).`);
      const view = await cli.call<NearRealTimeView>(
        'PUT',
        `/tenants/${encodeURIComponent(tenantId)}/near-real-time`,
        { enabled: state === 'on' },
      );
      cli.print(view, () =>
        view.state === 'on'
          ? [
              `Near-real-time replication is on for ${tenantId}: Graph notifies changes of its users and groups.`,
              ...view.subscriptions.map(
                (subscription) =>
                  `  ${subscription.resource.padEnd(8)} subscription ${subscription.id}, until ${subscription.expiresAt.replace(/\.\d+Z$/, 'Z')} (renewed before it ends)`,
              ),
            ].join('\n')
          : view.state === 'off'
            ? `Near-real-time replication is off for ${tenantId}: the daily run keeps it up to date.`
            : `Near-real-time replication for ${tenantId} is ${describeNearRealTime(view)}; the connector goes on with it (see \`tenant ${tenantId}\`).`,
      );
    });

  program
    .command('replicate <tenantId>')
    .description('replicate a tenant now and follow its progress until it ends')
    .option('--no-wait', 'only queue the run')
    .option('--interval <seconds>', 'how often to look at its progress', '2')
    .option(
      '--release [runId]',
      'release the removals a run held back (the current hold when no run is named)',
    )
    .action(async (tenantId: string, options) => {
      const id = encodeURIComponent(tenantId);
      const queued = options.release
        ? await cli.call<ReplicationRunView>(
            'POST',
            `/tenants/${id}/replication-runs/${encodeURIComponent(await heldRun(cli, id, options.release))}/release`,
          )
        : await cli.call<ReplicationRunView>('POST', `/tenants/${id}/replicate`);
      if (!options.wait) return cli.print(queued, () => `Run ${queued.runId} queued.`);
      let run = queued;
      while (!ended(run)) {
        await new Promise((resolve) => setTimeout(resolve, Number(options.interval) * 1000));
        const { value } = await cli.call<{ value: ReplicationRunView[] }>(
          'GET',
          `/tenants/${id}/replication-runs?top=20`,
        );
        run = value.find((candidate) => candidate.runId === queued.runId) ?? run;
        if (!cli.json)
          cli.io.out(
            `  ${run.status.padEnd(9)} ${run.phase.padEnd(8)} pages ${run.pages}  requests ${run.requests}  ${run.elapsedSeconds ?? 0}s\n`,
          );
      }
      cli.print(run, () => describeRun(run));
      if (run.status === 'held') {
        // Done as far as it may go: the removals it held wait for a person to release them.
        cli.exitCode = exitCodes.needsPerson;
        return;
      }
      if (run.status !== 'completed')
        throw new CliError(`Replication ${run.status}${run.reason ? `: ${run.reason}` : ''}.`);
    });

  program
    .command('replica <tenantId>')
    .description("count a tenant's replicated objects by kind")
    .action(async (tenantId: string) => {
      const counts = await cli.call<ReplicaCounts>(
        'GET',
        `/tenants/${encodeURIComponent(tenantId)}/replica/counts`,
      );
      cli.print(counts, () => {
        const table = textTable(
          ['KIND', 'OBJECTS'],
          objectKinds.map((kind) => replicatedKinds[kind].apiName).map((name) => [name, counts[name]]),
        );
        return `${table}\n${counts.cursor ? `As of feed position ${counts.cursor}.` : 'The feed holds no stored change yet.'}`;
      });
    });

  program
    .command('runs <tenantId>')
    .description("a tenant's replication runs, newest first: status, counts, and what a held run holds")
    .option('--top <n>', 'how many', '20')
    .action(async (tenantId: string, options: { top: string }) => {
      const { value } = await cli.call<{ value: ReplicationRunView[] }>(
        'GET',
        `/tenants/${encodeURIComponent(tenantId)}/replication-runs?top=${encodeURIComponent(options.top)}`,
      );
      cli.print(value, () => (value.length === 0 ? 'No runs yet.' : value.map(describeRun).join('\n')));
    });

  program
    .command('changes <tenantId>')
    .description("what the core reads: the tenant's change feed from a cursor (from its start without one)")
    .option('--cursor <cursor>', 'continue after this cursor (the last one printed)')
    .option('--top <n>', 'how many changes', '100')
    .action(async (tenantId: string, options: { cursor?: string; top: string }) => {
      const query = new URLSearchParams({
        top: options.top,
        ...(options.cursor ? { cursor: options.cursor } : {}),
      });
      const page = await cli.call<{ value: FeedChange[]; cursor?: string }>(
        'GET',
        `/tenants/${encodeURIComponent(tenantId)}/changes?${query}`,
      );
      cli.print(page, () =>
        [
          page.value.length === 0
            ? 'No changes after the cursor.'
            : textTable(
                ['SEQ', 'AT', 'OP', 'KIND', 'ID'],
                page.value.map((change) => [change.seq, change.at, change.op, change.kind, change.id]),
              ),
          page.cursor ? `Cursor: ${page.cursor}` : 'The feed holds no change yet.',
        ].join('\n'),
      );
    });

  program
    .command('snapshot <tenantId>')
    .description("what the core reads after a 410: one page of the tenant's replica as of a feed position")
    .option(
      '--kind <kind>',
      `only one kind: ${objectKinds.map((kind) => replicatedKinds[kind].apiName).join(', ')}`,
    )
    .option('--page <token>', 'the next page, as printed by the page before')
    .option('--top <n>', 'how many objects', '100')
    .action(async (tenantId: string, options: { kind?: string; page?: string; top: string }) => {
      const query = new URLSearchParams({
        top: options.top,
        ...(options.kind ? { kind: options.kind } : {}),
        ...(options.page ? { page: options.page } : {}),
      });
      const page = await cli.call<{
        value: { kind: string; id: string }[];
        nextPage?: string;
        cursor?: string;
      }>('GET', `/tenants/${encodeURIComponent(tenantId)}/replica?${query}`);
      cli.print(page, () =>
        [
          page.value.length === 0
            ? 'No objects on this page.'
            : textTable(
                ['KIND', 'ID'],
                page.value.map((item) => [item.kind, item.id]),
              ),
          page.nextPage ? `Next page: --page ${page.nextPage}` : 'Last page.',
          page.cursor ? `As of feed position ${page.cursor}: follow the feed from there.` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });
}
