import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import type { NotifiedChangesJob } from '../lib/near-real-time/notified-changes.js';
import { queueNames } from '../lib/storage/storage-names.js';
import { describeAdvance } from '../lib/workflows/workflow-runner.js';

/**
 * A tenant's quiet period after Graph's notifications may have ended: its run starts, or the wait goes on. Or a
 * lifecycle event asked for its subscriptions to be reauthorized (the near-real-time workflow does it, then catches up).
 */
export async function notifiedChangesWorker(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<NotifiedChangesJob>;
  const log = invocationLogger(context);
  if (typeof job?.tenantId !== 'string') {
    log.warn('notified-changes message without tenantId: dropped');
    return;
  }
  const fields = { tenantId: job.tenantId, workflow: 'near-real-time' };
  if (job.renew) {
    const result = await services().tenantSubscriptions.reauthorize(job.tenantId);
    log.info(
      `notified changes ${job.tenantId}: reauthorization ${result ? describeAdvance(result) : 'not needed (near-real-time is off)'}`,
      fields,
    );
    return;
  }
  const outcome = await services().notifiedChanges.quietEnded(job.tenantId);
  log.info(`notified changes ${job.tenantId}: ${outcome}`, { ...fields, outcome });
}

functions.storageQueue('notified-changes-worker', {
  queueName: queueNames.notifiedChanges,
  connection: 'AzureWebJobsStorage',
  handler: notifiedChangesWorker,
});
