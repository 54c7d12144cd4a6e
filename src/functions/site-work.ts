import { services } from '../app-services.js';
import { queueNames } from '../lib/storage/storage-names.js';
import { stringFields, workflowTriggers } from '../lib/workflows/workflow-triggers.js';

/** A site's steps as far as they go now (`site-worker`), and a poisoned site message (`site-poison`). */
workflowTriggers({
  name: 'site',
  queueName: queueNames.siteWork,
  runner: () => services().tenantSites.runner,
  jobOf: (message) => stringFields(message, 'tenantId', 'siteId'),
  describe: (job) => `site ${job.tenantId} ${job.siteId}`,
});
