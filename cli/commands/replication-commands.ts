import type { Command } from 'commander';
import type { ReplicaCounts } from '../../src/lib/replication/replica-snapshot.js';
import { objectKinds, replicatedKinds } from '../../src/lib/replication/replicated-kinds.js';
import type { ReplicationRunView } from '../../src/lib/replication/replication-run.js';
import { type CliContext, exitCodes } from '../cli-context.js';
import { CliError } from '../connector-client.js';
import { textTable } from '../text-table.js';

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

/** `replicate`, `replica`. */
export function replicationCommands(program: Command, cli: CliContext): void {
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
}
