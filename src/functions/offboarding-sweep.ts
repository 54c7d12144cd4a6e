import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';

/** Every 15 minutes: offboardings whose message was lost are queued again. */
export async function offboardingSweep(_timer: unknown, context: InvocationContext): Promise<void> {
  const { queued } = await services().tenantOffboarding.runner.sweep();
  if (queued > 0) context.log(`offboarding sweep: ${queued} offboardings queued again`);
}

functions.timer('offboarding-sweep', { schedule: '0 */15 * * * *', handler: offboardingSweep });
