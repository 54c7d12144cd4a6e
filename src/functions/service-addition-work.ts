import { services } from '../app-services.js';
import { queueNames } from '../lib/storage/storage-names.js';
import { stringFields, workflowTriggers } from '../lib/workflows/workflow-triggers.js';

/** A service's adding after its request had to wait (`service-addition-worker`), and a poisoned message (`-poison`). */
workflowTriggers({
  name: 'service-addition',
  queueName: queueNames.serviceAdditions,
  runner: () => services().tenantServices.runner,
  jobOf: (message) => stringFields(message, 'tenantId', 'serviceId'),
  describe: (job) => `service ${job.tenantId} ${job.serviceId}`,
});
