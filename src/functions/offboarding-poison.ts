import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import type { OffboardingJob } from '../lib/offboarding/tenant-offboarding.js';
import { poisonQueue, queueNames } from '../lib/storage/storage-names.js';

/**
 * An offboarding message that failed as often as the queue allows: recorded on the offboarding and taken up again
 * later, so a tenant is never left `offboarding` for want of a message.
 */
export async function offboardingPoison(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<OffboardingJob>;
  if (typeof job?.tenantId !== 'string') return;
  const resumed = await services().tenantOffboarding.runner.poisoned(
    { tenantId: job.tenantId },
    'a message failed as often as the queue allows; taken up again later',
  );
  context.warn(
    `offboarding ${job.tenantId}: poisoned message, ${resumed ? 'taken up again later' : 'nothing to do'}`,
  );
}

functions.storageQueue('offboarding-poison', {
  queueName: poisonQueue(queueNames.tenantOffboardings),
  connection: 'AzureWebJobsStorage',
  handler: offboardingPoison,
});
