import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import type { OffboardingJob } from '../lib/offboarding/tenant-offboarding.js';
import { queueNames } from '../lib/storage/storage-names.js';

/** Takes one tenant's offboarding as far as it goes; a transient failure throws, so the queue retries it. */
export async function offboardingWorker(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<OffboardingJob>;
  if (typeof job?.tenantId !== 'string') {
    context.warn('offboarding message without tenantId: dropped');
    return;
  }
  const state = await services().tenantOffboarding.advance(job.tenantId);
  // Another worker holds it: come back when its lease may have ended.
  if (state === 'busy') await services().tenantOffboarding.enqueue({ tenantId: job.tenantId }, 30);
  context.log(`offboarding ${job.tenantId}: ${state}`);
}

functions.storageQueue('offboarding-worker', {
  queueName: queueNames.tenantOffboardings,
  connection: 'AzureWebJobsStorage',
  handler: offboardingWorker,
});
