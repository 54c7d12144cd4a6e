import { z } from 'zod';
import type { AppServices } from '../app-services.js';
import { tableNames } from '../app-services.js';
import { type DeliveryState, deliveryStateKeys } from './event-dispatcher.js';
import { streamsWithDueEvents } from './event-listing.js';

export const deliveryStateSchema = z.object({
  enabled: z.boolean(),
  coreWebhookUrl: z.string().optional(),
  disabledAt: z.iso.datetime().optional(),
  reason: z.string().optional(),
});

export async function readDeliveryState(app: AppServices): Promise<z.infer<typeof deliveryStateSchema>> {
  const stored = await app.deps.storage
    .table<DeliveryState>(tableNames.coreDelivery)
    .get(deliveryStateKeys.partitionKey, deliveryStateKeys.rowKey);
  const state = stored?.entity;
  return {
    enabled: !state?.disabled,
    ...(app.deps.settings.coreWebhookUrl ? { coreWebhookUrl: app.deps.settings.coreWebhookUrl } : {}),
    ...(state?.disabled && state.disabledAt ? { disabledAt: state.disabledAt } : {}),
    ...(state?.disabled && state.reason ? { reason: state.reason } : {}),
  };
}

/** Turns delivery on or off; turning it on queues every stream with pending events. */
export async function setDeliveryEnabled(app: AppServices, enabled: boolean) {
  const table = app.deps.storage.table<DeliveryState>(tableNames.coreDelivery);
  await table.upsertMany([
    enabled
      ? { ...deliveryStateKeys, disabled: false }
      : {
          ...deliveryStateKeys,
          disabled: true,
          disabledAt: new Date().toISOString(),
          reason: 'Turned off by an operator.',
        },
  ]);
  if (enabled)
    for (const stream of await streamsWithDueEvents(app.outbox.table, new Date()))
      await app.outbox.kick(stream);
  return readDeliveryState(app);
}
