import type { InvocationContext, Timer } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';

/** Daily at 03:30 UTC: old replication runs, remembered webhook-ids, sign-in states and feed batches go. */
export async function housekeeping(_timer: Timer, context: InvocationContext): Promise<void> {
  const { runs, listedIds, seenMarks, deferredRemovals, requestIds, signInStates, feedBatches } =
    await services().housekeeping.sweep();
  const held = deferredRemovals ? `, ${deferredRemovals} held-back removal record(s) of dead runs` : '';
  invocationLogger(context).info(
    `housekeeping: removed ${runs} run(s), ${listedIds + seenMarks} list record(s) of dead runs${held}, ${requestIds} webhook-id(s), ${signInStates} sign-in state(s), ${feedBatches} change feed batch(es)`,
  );
}

functions.timer('housekeeping', { schedule: '0 30 3 * * *', handler: housekeeping });
