import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import type { OffboardingJob } from '../lib/offboarding/tenant-offboarding.js';
import { queueNames } from '../lib/storage/storage-names.js';
import { describeAdvance } from '../lib/workflows/workflow-runner.js';

/** Takes one tenant's offboarding as far as it goes; it comes back on the queue when it must wait. */
export async function offboardingWorker(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<OffboardingJob>;
  if (typeof job?.tenantId !== 'string') {
    context.warn('offboarding message without tenantId: dropped');
    return;
  }
  const result = await services().tenantOffboarding.runner.work(
    { tenantId: job.tenantId },
    { dequeueCount: Number(context.triggerMetadata?.dequeueCount ?? 1) },
  );
  context.log(`offboarding ${job.tenantId}: ${describeAdvance(result)}`);
}

functions.storageQueue('offboarding-worker', {
  queueName: queueNames.tenantOffboardings,
  connection: 'AzureWebJobsStorage',
  handler: offboardingWorker,
});
