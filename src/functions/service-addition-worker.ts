import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import type { ServiceJob } from '../lib/services/service-progress.js';
import { queueNames } from '../lib/storage/storage-names.js';
import { describeAdvance } from '../lib/workflows/workflow-runner.js';

/** A service's adding taken on after its request had to wait (Entra still replicating its new secret, a fault). */
export async function serviceAdditionWorker(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<ServiceJob>;
  if (typeof job?.tenantId !== 'string' || typeof job.serviceId !== 'string') {
    context.warn('service message without tenantId and serviceId: dropped');
    return;
  }
  const result = await services().tenantServices.runner.work(
    { tenantId: job.tenantId, serviceId: job.serviceId },
    { dequeueCount: Number(context.triggerMetadata?.dequeueCount ?? 1) },
  );
  context.log(`service ${job.tenantId} ${job.serviceId}: ${describeAdvance(result)}`);
}

functions.storageQueue('service-addition-worker', {
  queueName: queueNames.serviceAdditions,
  connection: 'AzureWebJobsStorage',
  handler: serviceAdditionWorker,
});
