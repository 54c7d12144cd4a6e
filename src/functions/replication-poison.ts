import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import type { ReplicationJob } from '../lib/replication/replication-worker.js';
import { poisonQueue, queueNames } from '../lib/storage/storage-names.js';

/** A replication job that failed maxDequeueCount times: the run is marked failed and the core is told. */
export async function replicationPoison(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<ReplicationJob>;
  if (typeof job?.tenantId !== 'string' || typeof job.runId !== 'string') return;
  const log = invocationLogger(context);
  const outcome = await services().replicationWorker.giveUp(
    { tenantId: job.tenantId, runId: job.runId },
    'gave up after repeated failures',
    log,
  );
  if (outcome !== 'unknown')
    log.warn(`replication ${job.tenantId} ${job.runId} gave up after repeated failures`, {
      tenantId: job.tenantId,
      runId: job.runId,
      outcome: 'poisoned',
    });
}

functions.storageQueue('replication-poison', {
  queueName: poisonQueue(queueNames.replicationJobs),
  connection: 'AzureWebJobsStorage',
  handler: replicationPoison,
});
