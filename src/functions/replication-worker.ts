import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import type { ReplicationJob } from '../lib/replication/replication-worker.js';
import { queueNames } from '../lib/storage/storage-names.js';

/** One slice of one tenant's replication run; a transient failure throws, so the queue retries it. */
export async function replicationWorker(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<ReplicationJob>;
  if (typeof job?.tenantId !== 'string' || typeof job.runId !== 'string') {
    invocationLogger(context).warn('replication message without tenantId and runId: dropped');
    return;
  }
  const log = invocationLogger(context);
  const outcome = await services().replicationWorker.process(
    { tenantId: job.tenantId, runId: job.runId },
    log,
  );
  log.info(`replication ${job.tenantId} ${job.runId}: ${outcome}`, {
    tenantId: job.tenantId,
    runId: job.runId,
    outcome,
  });
}

functions.storageQueue('replication-worker', {
  queueName: queueNames.replicationJobs,
  connection: 'AzureWebJobsStorage',
  handler: replicationWorker,
});
