import { services } from '../app-services.js';
import { queueNames } from '../lib/storage/storage-names.js';
import { stringFields, workflowTriggers } from '../lib/workflows/workflow-triggers.js';

/** A secret rotation as far as it goes now (`credential-rotation-worker`), and a poisoned message (`-poison`). */
workflowTriggers({
  name: 'credential-rotation',
  queueName: queueNames.credentialRotations,
  runner: () => services().credentialRotation.runner,
  jobOf: (message) => stringFields(message, 'tenantId', 'serviceId'),
  describe: (job) => `rotation ${job.tenantId} ${job.serviceId}`,
});
