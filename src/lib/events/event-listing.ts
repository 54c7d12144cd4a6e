import { z } from 'zod';
import type { EntityTable } from '../storage/entity-table.js';
import { type OutboxRow, outboxRange } from './outbox.js';

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

const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** Outbox rows as the core and operators see them, newest first. */
export async function listEvents(
  outbox: EntityTable<OutboxRow>,
  filter: { tenantId?: string; status?: OutboxRow['status']; top: number },
): Promise<SentEvent[]> {
  const clauses = [outboxRange()];
  if (filter.tenantId) clauses.push(`PartitionKey eq ${quote(filter.tenantId)}`);
  if (filter.status) clauses.push(`status eq ${quote(filter.status)}`);
  const events: SentEvent[] = [];
  for await (const { entity } of outbox.query(clauses.join(' and '))) {
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
export async function streamsWithDueEvents(outbox: EntityTable<OutboxRow>, now: Date): Promise<string[]> {
  const streams = new Set<string>();
  const filter = `${outboxRange()} and status eq 'pending' and nextAttemptAt le ${quote(now.toISOString())}`;
  for await (const { entity } of outbox.query(filter)) streams.add(entity.partitionKey);
  return [...streams];
}
