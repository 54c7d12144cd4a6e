import type { InvocationContext, Timer } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';

/**
 * Every 15 minutes: Graph subscriptions of near-real-time tenants that end within a week are renewed, and a quiet
 * period whose message was lost or poisoned is queued again.
 */
export async function nearRealTimeSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  const requeued = await services().notifiedChanges.requeueStalled();
  const { tenants, renewed, failed } = await services().tenantSubscriptions.renewAll();
  context.log(
    `near-real-time sweep: ${renewed} subscription(s) renewed, ${requeued} quiet period(s) queued again, for ${tenants} tenant(s)`,
  );
  if (failed.length)
    context.warn(`near-real-time renewal failed for ${failed.join(', ')}: tried again next time`);
}

functions.timer('near-real-time-sweep', { schedule: '0 */15 * * * *', handler: nearRealTimeSweep });
