import { connectorMetrics } from '../telemetry/connector-metrics.js';
import { type ReplicationRunRecord, type RunCounts, runCountNames } from './replication-run.js';

/** A run's end in the metrics: its outcome, how long since it was queued, what it changed and wrote. */
export function recordRunEnd(
  tenantId: string,
  run: ReplicationRunRecord,
  outcome: 'completed' | 'held' | 'failed',
  counts?: RunCounts,
  now = Date.now(),
): void {
  const names = Object.values(runCountNames);
  connectorMetrics.replicationRunEnded({
    tenantId,
    outcome,
    trigger: run.trigger,
    durationSeconds: Math.max(0, (now - Date.parse(run.queuedAt)) / 1000),
    ...(counts
      ? {
          changes: {
            upserted: names.reduce((sum, name) => sum + (counts[name.upserted] ?? 0), 0),
            deleted: names.reduce((sum, name) => sum + (counts[name.deleted] ?? 0), 0),
            transactions: counts.transactions,
          },
        }
      : {}),
  });
}
