import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';

/** Every 15 minutes: the runner's workflows (offboardings, rotations) whose message was lost are queued again. */
export async function workflowSweep(_timer: unknown, context: InvocationContext): Promise<void> {
  const app = services();
  for (const [name, runner] of [
    ['offboardings', app.tenantOffboarding.runner],
    ['rotations', app.credentialRotation.runner],
  ] as const) {
    const { queued } = await runner.sweep();
    if (queued > 0) context.log(`workflow sweep: ${queued} ${name} queued again`);
  }
}

functions.timer('workflow-sweep', { schedule: '0 */15 * * * *', handler: workflowSweep });
