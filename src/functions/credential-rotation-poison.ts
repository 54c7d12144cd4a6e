import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import type { RotationJob } from '../lib/credentials/rotation-progress.js';
import { functions } from '../lib/hosting/function-registry.js';
import { poisonQueue, queueNames } from '../lib/storage/storage-names.js';

/** A rotation message that failed as often as the queue allows: recorded on the rotation and taken up again later. */
export async function credentialRotationPoison(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<RotationJob>;
  if (typeof job?.tenantId !== 'string' || typeof job.serviceId !== 'string') return;
  const resumed = await services().credentialRotation.runner.poisoned(
    { tenantId: job.tenantId, serviceId: job.serviceId },
    'a message failed as often as the queue allows; taken up again later',
  );
  context.warn(
    `rotation ${job.tenantId} ${job.serviceId}: poisoned message, ${resumed ? 'taken up again later' : 'nothing to do'}`,
  );
}

functions.storageQueue('credential-rotation-poison', {
  queueName: poisonQueue(queueNames.credentialRotations),
  connection: 'AzureWebJobsStorage',
  handler: credentialRotationPoison,
});
