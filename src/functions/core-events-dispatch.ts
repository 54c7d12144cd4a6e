import type { InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import type { DispatchMessage } from '../lib/events/outbox.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import { queueNames } from '../lib/storage/storage-names.js';

/** Delivers one stream's pending events to the core; asks to be called again when some must wait. */
export async function dispatchCoreEvents(message: unknown, context: InvocationContext): Promise<void> {
  const stream = (message as Partial<DispatchMessage>)?.stream;
  const log = invocationLogger(context);
  if (typeof stream !== 'string' || stream.length === 0) {
    log.warn('core-events message without a stream: dropped');
    return;
  }
  const app = services();
  const outcome = await app.dispatcher.dispatch(stream, new Date(), log);
  log.info(`stream ${stream}: ${JSON.stringify(outcome)}`, { tenantId: stream });
  if ('retryInSeconds' in outcome && outcome.retryInSeconds !== undefined) {
    await app.outbox.kick(stream, outcome.retryInSeconds);
  }
}

functions.storageQueue('core-events-dispatch', {
  queueName: queueNames.coreEvents,
  connection: 'AzureWebJobsStorage',
  handler: dispatchCoreEvents,
});
