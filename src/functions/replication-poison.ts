import type { InvocationContext } from '@azure/functions';
import { queueNames, services, tableNames } from '../lib/app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import type { ReplicationRunRecord } from '../lib/replication/replication-run.js';
import { runRowKey } from '../lib/replication/replication-run.js';
import type { ReplicationJob } from '../lib/replication/replication-worker.js';

/** A replication job that failed maxDequeueCount times: the run is marked failed and the core is told. */
export async function replicationPoison(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<ReplicationJob>;
  if (typeof job?.tenantId !== 'string' || typeof job.runId !== 'string') return;
  const app = services();
  const stored = await app.deps.storage
    .table<Record<string, unknown>>(tableNames.tenants)
    .get(job.tenantId, runRowKey(job.runId));
  if (!stored) return;
  await app.replicationWorker.fail(
    job as ReplicationJob,
    stored.entity as unknown as ReplicationRunRecord,
    'gave up after repeated failures',
  );
  context.warn(`replication ${job.tenantId} ${job.runId} gave up after repeated failures`);
}

functions.storageQueue('replication-poison', {
  queueName: `${queueNames.replicationJobs}-poison`,
  connection: 'AzureWebJobsStorage',
  handler: replicationPoison,
});
