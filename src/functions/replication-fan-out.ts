import type { InvocationContext, Timer } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';

/** On REPLICATION_SCHEDULE: one replication run per ready tenant, spread over REPLICATION_WINDOW_MINUTES. */
export async function replicationFanOut(_timer: Timer, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context);
  const { queued, skipped } = await services().replicationScheduler.fanOut();
  log.info(`replication fan-out: ${queued.length} queued, ${skipped.length} skipped`);
  for (const { tenantId, reason } of skipped)
    log.warn(`replication of ${tenantId} skipped: ${reason}`, { tenantId, outcome: 'skipped' });
}

functions.timer('replication-fan-out', { schedule: '%REPLICATION_SCHEDULE%', handler: replicationFanOut });
