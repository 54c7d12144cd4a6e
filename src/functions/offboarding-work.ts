import { services } from '../app-services.js';
import { queueNames } from '../lib/storage/storage-names.js';
import { stringFields, workflowTriggers } from '../lib/workflows/workflow-triggers.js';

/** A tenant's offboarding as far as it goes now (`offboarding-worker`), and a poisoned message (`offboarding-poison`). */
workflowTriggers({
  name: 'offboarding',
  queueName: queueNames.tenantOffboardings,
  runner: () => services().tenantOffboarding.runner,
  jobOf: (message) => stringFields(message, 'tenantId'),
  describe: (job) => `offboarding ${job.tenantId}`,
});
