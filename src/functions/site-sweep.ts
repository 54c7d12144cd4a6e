import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';

/** Every 15 minutes: sites a lost message left waiting are queued again. */
export async function siteSweep(_timer: unknown, context: InvocationContext): Promise<void> {
  const { queued } = await services().tenantSites.sweep();
  if (queued > 0) context.log(`site sweep: ${queued} sites queued again`);
}

functions.timer('site-sweep', { schedule: '0 */15 * * * *', handler: siteSweep });
