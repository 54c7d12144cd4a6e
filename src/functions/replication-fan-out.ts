import type { InvocationContext, Timer } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';

/** On REPLICATION_SCHEDULE: one replication run per ready tenant, spread over REPLICATION_WINDOW_MINUTES. */
export async function replicationFanOut(_timer: Timer, context: InvocationContext): Promise<void> {
  const { queued, skipped } = await services().replicationScheduler.fanOut();
  context.log(`replication fan-out: ${queued.length} queued, ${skipped.length} skipped`);
  for (const { tenantId, reason } of skipped) context.warn(`replication of ${tenantId} skipped: ${reason}`);
}

functions.timer('replication-fan-out', { schedule: '%REPLICATION_SCHEDULE%', handler: replicationFanOut });
