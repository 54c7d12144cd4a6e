import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import type { RotationJob } from '../lib/credentials/credential-check.js';
import { functions } from '../lib/hosting/function-registry.js';
import { queueNames } from '../lib/storage/storage-names.js';

/** One step (or several) of one service's secret rotation; a transient failure throws, so the queue retries it. */
export async function credentialRotationWorker(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<RotationJob>;
  if (typeof job?.tenantId !== 'string' || typeof job.serviceId !== 'string') {
    context.warn('rotation message without tenantId and serviceId: dropped');
    return;
  }
  const state = await services().credentialCheck.advance({
    tenantId: job.tenantId,
    serviceId: job.serviceId,
  });
  context.log(`rotation ${job.tenantId} ${job.serviceId}: ${state}`);
}

functions.storageQueue('credential-rotation-worker', {
  queueName: queueNames.credentialRotations,
  connection: 'AzureWebJobsStorage',
  handler: credentialRotationWorker,
});
