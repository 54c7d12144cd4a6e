import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';

/** Every 15 minutes: the runner's workflows (offboardings, rotations, services, sites, near-real-time, write-back requests) whose message was lost are queued again. */
export async function workflowSweep(_timer: unknown, context: InvocationContext): Promise<void> {
  const app = services();
  const log = invocationLogger(context);
  for (const [name, sweep] of [
    ['offboardings', () => app.tenantOffboarding.runner.sweep()],
    ['rotations', () => app.credentialRotation.runner.sweep()],
    ['service additions', () => app.tenantServices.runner.sweep()],
    // A tenant that is on always has its next look (renewal or daily check) waiting: overdue, its message was lost.
    ['near-real-time workflows', () => app.tenantSubscriptions.runner.sweep()],
    ['write-back requests', () => app.telephonyRequests.runner.sweep()],
    // Sites also settle each tenant's dnsWorkPending on the way.
    ['sites', () => app.tenantSites.sweep()],
  ] as const) {
    const { queued } = await sweep();
    if (queued > 0) log.info(`workflow sweep: ${queued} ${name} queued again`);
  }
}

functions.timer('workflow-sweep', { schedule: '0 */15 * * * *', handler: workflowSweep });
