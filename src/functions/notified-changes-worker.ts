import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import type { NotifiedChangesJob } from '../lib/near-real-time/notified-changes.js';
import { queueNames } from '../lib/storage/storage-names.js';
import { describeAdvance } from '../lib/workflows/workflow-runner.js';

/**
 * A tenant's quiet period after Graph's notifications may have ended: its run starts, or the wait goes on. Or a
 * lifecycle event asked for its subscriptions to be reauthorized (the near-real-time workflow does it, then catches up).
 */
export async function notifiedChangesWorker(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<NotifiedChangesJob>;
  if (typeof job?.tenantId !== 'string') {
    context.warn('notified-changes message without tenantId: dropped');
    return;
  }
  if (job.renew) {
    const result = await services().tenantSubscriptions.reauthorize(job.tenantId);
    context.log(
      `notified changes ${job.tenantId}: reauthorization ${result ? describeAdvance(result) : 'not needed (near-real-time is off)'}`,
    );
    return;
  }
  const outcome = await services().notifiedChanges.quietEnded(job.tenantId);
  context.log(`notified changes ${job.tenantId}: ${outcome}`);
}

functions.storageQueue('notified-changes-worker', {
  queueName: queueNames.notifiedChanges,
  connection: 'AzureWebJobsStorage',
  handler: notifiedChangesWorker,
});
