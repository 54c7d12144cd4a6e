import type { InvocationContext, Timer } from '@azure/functions';
import { services } from '../app-services.js';
import { streamsWithDueEvents } from '../lib/events/event-listing.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';

/** Every minute: any stream with a due pending event gets a dispatch message (one lost after a commit, say). */
export async function sweepCoreEvents(_timer: Timer, context: InvocationContext): Promise<void> {
  const app = services();
  const streams = await streamsWithDueEvents(app.outbox.table, new Date());
  for (const stream of streams) await app.outbox.kick(stream);
  if (streams.length > 0)
    invocationLogger(context).info(`re-queued ${streams.length} stream(s) with due events`);
}

functions.timer('core-events-sweep', { schedule: '0 */1 * * * *', handler: sweepCoreEvents });
