import { z } from 'zod';
import type { EntityTable } from '../storage/entity-table.js';
import type { TenantTable } from '../tenants/tenant-partition.js';
import { type DeliveryState, deliveryStateKeys } from './event-dispatcher.js';
import { streamsWithDueEvents } from './event-listing.js';
import type { Outbox } from './outbox.js';

export const deliveryStateSchema = z.object({
  enabled: z.boolean(),
  coreWebhookUrl: z.string().optional(),
  disabledAt: z.iso.datetime().optional(),
  reason: z.string().optional(),
});
export type DeliveryStateView = z.infer<typeof deliveryStateSchema>;

/** The switch that turns event delivery to the core off (a 410 Gone from the core, or an operator) and on. */
export class DeliverySwitch {
  constructor(
    private readonly state: EntityTable<DeliveryState>,
    private readonly tenants: TenantTable,
    private readonly outbox: Outbox,
    private readonly coreWebhookUrl: string | undefined,
  ) {}

  async read(): Promise<DeliveryStateView> {
    const state = (await this.state.get(deliveryStateKeys.partitionKey, deliveryStateKeys.rowKey))?.entity;
    return {
      enabled: !state?.disabled,
      ...(this.coreWebhookUrl ? { coreWebhookUrl: this.coreWebhookUrl } : {}),
      ...(state?.disabled && state.disabledAt ? { disabledAt: state.disabledAt } : {}),
      ...(state?.disabled && state.reason ? { reason: state.reason } : {}),
    };
  }

  /** Turns delivery on or off; turning it on queues every stream with pending events. */
  async set(enabled: boolean): Promise<DeliveryStateView> {
    await this.state.upsertMany([
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
      for (const stream of await streamsWithDueEvents(this.tenants, new Date()))
        await this.outbox.kick(stream);
    return this.read();
  }
}
