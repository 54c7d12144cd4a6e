import { monotonicFactory } from 'ulid';
import type { TableTransaction } from '../storage/entity-table.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import { type DomainEvent, eventCatalogue } from './event-catalogue.js';

/**
 * An event waiting for (or done with) delivery, stored in the partition of the stream it belongs to (a tenant),
 * keyed by its ULID so a partition lists its events in order.
 */
export interface OutboxRow {
  eventId: string;
  type: string;
  data: string;
  createdAt: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  deliveredAt?: string;
  /** The core's last HTTP status, or 0 when it could not be reached; never a message. */
  lastStatus?: number;
}

export interface DispatchMessage {
  stream: string;
}

const nextUlid = monotonicFactory();

/**
 * The transactional outbox: an event is written in the same entity-group transaction as the state change it
 * reports (same table, same partition: the stream, e.g. a tenant), then a queue message asks the dispatcher to
 * deliver it. If that message is lost, the sweeper finds the pending row.
 */
export class Outbox {
  constructor(
    readonly table: TenantTable,
    private readonly queue: MessageQueue<DispatchMessage>,
  ) {}

  /** Adds events to the caller's transaction; returns their ids. Payloads are checked against the catalogue. */
  stage(transaction: TableTransaction, events: readonly DomainEvent[], now = new Date()): string[] {
    return events.map((event) => {
      const data = eventCatalogue[event.type].parse(event.data);
      const ulid = nextUlid(now.getTime());
      const row: OutboxRow = {
        eventId: `evt_${ulid}`,
        type: event.type,
        data: JSON.stringify(data),
        createdAt: now.toISOString(),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now.toISOString(),
      };
      transaction.insert({ rowKey: tenantRows.event(ulid), ...row });
      return row.eventId;
    });
  }

  /** Asks for delivery of a stream's pending events, after the caller committed them. */
  kick(stream: string, delaySeconds = 0): Promise<string> {
    return this.queue.send({ stream }, { visibilityDelaySeconds: delaySeconds });
  }

  /** For events that report no other state change: stage, commit and kick in one call. */
  async emit(stream: string, events: readonly DomainEvent[], now = new Date()): Promise<string[]> {
    const transaction = this.table.transaction(stream);
    const ids = this.stage(transaction, events, now);
    await transaction.commit();
    await this.kick(stream);
    return ids;
  }
}

/** This row kind in a tenant's partition (see tenants/tenant-partition.ts). */
declare module '../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    event: OutboxRow;
  }
}
