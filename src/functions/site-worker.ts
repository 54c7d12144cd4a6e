import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import type { SiteJob } from '../lib/sites/tenant-sites.js';
import { queueNames } from '../lib/storage/storage-names.js';
import { describeAdvance } from '../lib/workflows/workflow-runner.js';

/** A site's steps as far as they go now; a failure that is not the site's throws, so the queue retries it. */
export async function siteWorker(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<SiteJob>;
  if (typeof job?.tenantId !== 'string' || typeof job.siteId !== 'string') {
    context.warn('site message without tenantId and siteId: dropped');
    return;
  }
  const result = await services().tenantSites.runner.work(
    { tenantId: job.tenantId, siteId: job.siteId },
    { dequeueCount: Number(context.triggerMetadata?.dequeueCount ?? 1) },
  );
  context.log(`site ${job.tenantId} ${job.siteId}: ${describeAdvance(result)}`);
}

functions.storageQueue('site-worker', {
  queueName: queueNames.siteWork,
  connection: 'AzureWebJobsStorage',
  handler: siteWorker,
});
