import type { InvocationContext, Timer } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';

/**
 * Every 15 minutes: a tenant's near-real-time workflow whose message was lost (its renewal or daily check long
 * overdue) is queued again, and so is a quiet period whose message was lost or poisoned.
 */
export async function nearRealTimeSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  const requeued = await services().notifiedChanges.requeueStalled();
  const { queued } = await services().tenantSubscriptions.runner.sweep();
  invocationLogger(context).info(
    `near-real-time sweep: ${queued} workflow(s) and ${requeued} quiet period(s) queued again`,
  );
}

functions.timer('near-real-time-sweep', { schedule: '0 */15 * * * *', handler: nearRealTimeSweep });
