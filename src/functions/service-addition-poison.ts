import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import type { ServiceJob } from '../lib/services/service-progress.js';
import { poisonQueue, queueNames } from '../lib/storage/storage-names.js';

/** A service message that failed as often as the queue allows: recorded on the service and taken up again later. */
export async function serviceAdditionPoison(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<ServiceJob>;
  if (typeof job?.tenantId !== 'string' || typeof job.serviceId !== 'string') return;
  const resumed = await services().tenantServices.runner.poisoned(
    { tenantId: job.tenantId, serviceId: job.serviceId },
    'a message failed as often as the queue allows; taken up again later',
  );
  context.warn(
    `service ${job.tenantId} ${job.serviceId}: poisoned message, ${resumed ? 'taken up again later' : 'nothing to do'}`,
  );
}

functions.storageQueue('service-addition-poison', {
  queueName: poisonQueue(queueNames.serviceAdditions),
  connection: 'AzureWebJobsStorage',
  handler: serviceAdditionPoison,
});
