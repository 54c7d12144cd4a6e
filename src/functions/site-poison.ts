import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import type { SiteJob } from '../lib/sites/tenant-sites.js';
import { poisonQueue, queueNames } from '../lib/storage/storage-names.js';

/** A site message that failed as often as the queue allows: recorded on the site and taken up again later. */
export async function sitePoison(message: unknown, context: InvocationContext): Promise<void> {
  const job = message as Partial<SiteJob>;
  if (typeof job?.tenantId !== 'string' || typeof job.siteId !== 'string') return;
  const resumed = await services().tenantSites.runner.poisoned(
    { tenantId: job.tenantId, siteId: job.siteId },
    'a message failed as often as the queue allows; taken up again later',
  );
  context.warn(
    `site ${job.tenantId} ${job.siteId}: poisoned message, ${resumed ? 'taken up again later' : 'nothing to do'}`,
  );
}

functions.storageQueue('site-poison', {
  queueName: poisonQueue(queueNames.siteWork),
  connection: 'AzureWebJobsStorage',
  handler: sitePoison,
});
