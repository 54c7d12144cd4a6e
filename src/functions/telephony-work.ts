import { services } from '../app-services.js';
import { queueNames } from '../lib/storage/storage-names.js';
import { stringFields, workflowTriggers } from '../lib/workflows/workflow-triggers.js';

/** A write-back request as far as it goes now (`telephony-worker`), and a poisoned one (`telephony-poison`). */
workflowTriggers({
  name: 'telephony',
  queueName: queueNames.telephonyRequests,
  runner: () => services().telephonyRequests.runner,
  jobOf: (message) => stringFields(message, 'tenantId', 'requestId'),
  describe: (job) => `write-back ${job.tenantId} ${job.requestId}`,
});
