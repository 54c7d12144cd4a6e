import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import type { RotationJob } from '../lib/credentials/rotation-progress.js';
import { functions } from '../lib/hosting/function-registry.js';
import { queueNames } from '../lib/storage/storage-names.js';
import { describeAdvance } from '../lib/workflows/workflow-runner.js';

/** One service's secret rotation taken as far as it goes; it comes back on the queue when it must wait. */
export async function credentialRotationWorker(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<RotationJob>;
  if (typeof job?.tenantId !== 'string' || typeof job.serviceId !== 'string') {
    context.warn('rotation message without tenantId and serviceId: dropped');
    return;
  }
  const result = await services().credentialRotation.runner.work(
    { tenantId: job.tenantId, serviceId: job.serviceId },
    { dequeueCount: Number(context.triggerMetadata?.dequeueCount ?? 1) },
  );
  context.log(`rotation ${job.tenantId} ${job.serviceId}: ${describeAdvance(result)}`);
}

functions.storageQueue('credential-rotation-worker', {
  queueName: queueNames.credentialRotations,
  connection: 'AzureWebJobsStorage',
  handler: credentialRotationWorker,
});
