import { services } from '../app-services.js';
import { queueNames } from '../lib/storage/storage-names.js';
import { stringFields, workflowTriggers } from '../lib/workflows/workflow-triggers.js';

/**
 * A tenant's Graph subscriptions as far as they go now (`near-real-time-worker`: made, renewed, deleted), and a
 * poisoned message (`near-real-time-poison`).
 */
workflowTriggers({
  name: 'near-real-time',
  queueName: queueNames.nearRealTime,
  runner: () => services().tenantSubscriptions.runner,
  jobOf: (message) => stringFields(message, 'tenantId'),
  describe: (job) => `near-real-time ${job.tenantId}`,
});
