import type { InvocationContext, Timer } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';

/** Every six hours: Graph subscriptions of near-real-time tenants that end within a week are renewed. */
export async function nearRealTimeRenewal(_timer: Timer, context: InvocationContext): Promise<void> {
  const { tenants, renewed, failed } = await services().changeNotifications.renewAll();
  context.log(`near-real-time renewal: ${renewed} subscription(s) renewed for ${tenants} tenant(s)`);
  if (failed.length)
    context.warn(`near-real-time renewal failed for ${failed.join(', ')}: tried again next time`);
}

functions.timer('near-real-time-renewal', { schedule: '0 0 */6 * * *', handler: nearRealTimeRenewal });
