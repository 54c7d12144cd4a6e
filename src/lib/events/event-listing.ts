import { z } from 'zod';
import { tableFilter } from '../storage/table-filters.js';
import { type TenantTable, tenantRowPrefixes } from '../tenants/tenant-partition.js';
import type { OutboxRow } from './outbox.js';

export const sentEventSchema = z.object({
  eventId: z.string(),
  type: z.string(),
  tenantId: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  createdAt: z.iso.datetime(),
  deliveredAt: z.iso.datetime().optional(),
  nextAttemptAt: z.iso.datetime().optional(),
  lastStatus: z.number().int().optional(),
  data: z.record(z.string(), z.unknown()),
});
export type SentEvent = z.infer<typeof sentEventSchema>;

/** Outbox rows as the core and operators see them, newest first. */
export async function listEvents(
  outbox: TenantTable,
  filter: { tenantId?: string; status?: OutboxRow['status']; top: number },
): Promise<SentEvent[]> {
  const where = tableFilter.and(
    tableFilter.rowKeysStartingWith(tenantRowPrefixes.events),
    filter.tenantId ? tableFilter.partition(filter.tenantId) : undefined,
    filter.status ? tableFilter.property('status', 'eq', filter.status) : undefined,
  );
  const events: SentEvent[] = [];
  for await (const { entity } of outbox.query<OutboxRow>(where)) {
    events.push({
      eventId: entity.eventId,
      type: entity.type,
      tenantId: entity.partitionKey,
      status: entity.status,
      attempts: entity.attempts,
      createdAt: entity.createdAt,
      ...(entity.deliveredAt ? { deliveredAt: entity.deliveredAt } : {}),
      ...(entity.status === 'pending' ? { nextAttemptAt: entity.nextAttemptAt } : {}),
      ...(entity.lastStatus !== undefined ? { lastStatus: entity.lastStatus } : {}),
      data: JSON.parse(entity.data),
    });
  }
  return events.sort((a, b) => b.eventId.localeCompare(a.eventId)).slice(0, filter.top);
}

/** Streams holding a pending event that is due now. */
export async function streamsWithDueEvents(outbox: TenantTable, now: Date): Promise<string[]> {
  const streams = new Set<string>();
  const filter = tableFilter.and(
    tableFilter.rowKeysStartingWith(tenantRowPrefixes.events),
    tableFilter.property('status', 'eq', 'pending'),
    tableFilter.property('nextAttemptAt', 'le', now.toISOString()),
  );
  for await (const { entity } of outbox.query<OutboxRow>(filter)) streams.add(entity.partitionKey);
  return [...streams];
}
