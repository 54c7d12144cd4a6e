import { consoleLogger, type Logger } from '../hosting/logger.js';
import type { Entity, EntityTable } from '../storage/entity-table.js';
import { PartitionLease } from '../storage/partition-lease.js';
import { ConcurrencyError } from '../storage/storage-errors.js';
import { tableFilter } from '../storage/table-filters.js';
import { connectorMetrics } from '../telemetry/connector-metrics.js';
import { type TenantTable, tenantRowPrefixes, tenantRows } from '../tenants/tenant-partition.js';
import { backoffMs } from '../workflows/backoff.js';
import type { DeliveryResult } from './core-delivery.js';
import type { OutboxRow } from './outbox.js';

/** Whether events may be sent to the core at all: a 410 Gone from the core turns delivery off until re-enabled. */
export interface DeliveryState {
  disabled: boolean;
  disabledAt?: string;
  reason?: string;
}

export const deliveryStateKeys = { partitionKey: 'core', rowKey: 'delivery' } as const;

export type DispatchOutcome =
  | { delivered: number; retryInSeconds?: number }
  | { delivered: 0; stopped: 'no_core' | 'disabled' }
  | { delivered: 0; stopped: 'leased'; retryInSeconds: number };

export interface DispatcherOptions {
  /** The `Tenants` table: each stream's events and its dispatch lease live in the stream's partition. */
  tenants: TenantTable;
  state: EntityTable<DeliveryState>;
  coreWebhookUrl: string | undefined;
  signingSecret: () => Promise<string>;
  deliver: (url: string, secret: string, event: OutboxRow) => Promise<DeliveryResult>;
  retryHorizonHours: number;
}

/** At most this many deliveries per run, so a run stays well inside its lease. */
const maxPerRun = 10;
const leaseTtlMs = 2 * 60_000;
const maxRequeueSeconds = 3600;

/** 5 s, 10 s, 20 s … doubling, at most an hour between tries (the workflows' one backoff, with its own bounds). */
const deliveryBackoff = { firstMs: 5_000, capMs: 3_600_000 };
const backoffSeconds = (attempts: number) => backoffMs(Math.max(attempts, 1), deliveryBackoff) / 1000;

/**
 * Delivers a stream's pending events to the core, oldest first, one stream at a time (a lease). A failed
 * delivery blocks the later events of its stream (order per tenant) and is retried with backoff until the
 * retry horizon, then marked failed. A crash after delivering but before marking means the core gets that event
 * again, with the same id: at least once, never lost.
 */
export class EventDispatcher {
  constructor(private readonly options: DispatcherOptions) {}

  async dispatch(stream: string, now = new Date(), log: Logger = consoleLogger): Promise<DispatchOutcome> {
    const { coreWebhookUrl, tenants, state } = this.options;
    if (!coreWebhookUrl) return { delivered: 0, stopped: 'no_core' };
    if ((await state.get(deliveryStateKeys.partitionKey, deliveryStateKeys.rowKey))?.entity.disabled) {
      // Counted each time, so an alert on it holds while delivery stays off.
      connectorMetrics.eventDelivery(stream, 'disabled');
      return { delivered: 0, stopped: 'disabled' };
    }
    const lease = new PartitionLease(tenants, stream, tenantRows.dispatchLease, leaseTtlMs);
    if (!(await lease.acquire(now))) return { delivered: 0, stopped: 'leased', retryInSeconds: 5 };
    try {
      const secret = await this.options.signingSecret();
      const pending = tenants.queryPrefix(stream, tenantRowPrefixes.events, {
        where: tableFilter.property('status', 'eq', 'pending'),
      });
      let delivered = 0;
      for await (const { entity, etag } of pending) {
        if (delivered === maxPerRun) return { delivered, retryInSeconds: 0 };
        const due = Date.parse(entity.nextAttemptAt);
        // Never further than an hour: the sweeper looks every minute anyway, and queues cap delays at 7 days.
        if (due > now.getTime()) {
          return {
            delivered,
            retryInSeconds: Math.min(Math.ceil((due - now.getTime()) / 1000), maxRequeueSeconds),
          };
        }
        const result = await this.options.deliver(coreWebhookUrl, secret, entity);
        if (result.ok) {
          await this.mark(entity, etag, {
            status: 'delivered',
            deliveredAt: new Date().toISOString(),
            attempts: entity.attempts + 1,
            lastStatus: result.status,
          });
          connectorMetrics.eventDelivery(
            stream,
            'delivered',
            (Date.now() - Date.parse(entity.createdAt)) / 1000,
          );
          delivered += 1;
          continue;
        }
        if (result.status === 410) {
          connectorMetrics.eventDelivery(stream, 'disabled');
          await this.disable(now, log);
          return { delivered, retryInSeconds: undefined };
        }
        const attempts = entity.attempts + 1;
        const wait = backoffSeconds(attempts);
        const horizon = Date.parse(entity.createdAt) + this.options.retryHorizonHours * 3600_000;
        if (now.getTime() + wait * 1000 > horizon) {
          log.warn(
            `event ${entity.eventId} (${entity.type}) failed for good after ${attempts} tries; last status ${result.status}`,
          );
          await this.mark(entity, etag, { status: 'failed', attempts, lastStatus: result.status });
          connectorMetrics.eventDelivery(stream, 'failed');
          continue;
        }
        await this.mark(entity, etag, {
          attempts,
          lastStatus: result.status,
          nextAttemptAt: new Date(now.getTime() + wait * 1000).toISOString(),
        });
        connectorMetrics.eventDelivery(stream, 'retrying');
        return { delivered, retryInSeconds: wait };
      }
      return { delivered };
    } finally {
      await lease.release();
    }
  }

  private async mark(row: Entity<OutboxRow>, etag: string, changes: Partial<OutboxRow>) {
    try {
      await this.options.tenants.update({ ...row, ...changes }, etag);
    } catch (error) {
      // Another dispatcher marked it first (its lease expired under us): its word stands.
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }

  private async disable(now: Date, log: Logger): Promise<void> {
    log.warn('the core answered 410 Gone: event delivery is disabled until re-enabled');
    await this.options.state.upsertMany([
      {
        ...deliveryStateKeys,
        disabled: true,
        disabledAt: now.toISOString(),
        reason: 'The core answered 410 Gone.',
      },
    ]);
  }
}
