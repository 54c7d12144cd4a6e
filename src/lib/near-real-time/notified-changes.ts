import type { ReplicationScheduler } from '../replication/replication-scheduler.js';
import { constantTimeEqual } from '../security/constant-time-equal.js';
import type { Entity, EntityTable } from '../storage/entity-table.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { ConcurrencyError, EntityExistsError } from '../storage/storage-errors.js';
import { tableFilter } from '../storage/table-filters.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import type { GraphSubscriptionRecord, NotifiedChangesRow } from './near-real-time-row.js';
import { clientStateHash, subscriptionRecordRow } from './subscription-calls.js';

/** A quiet period still pending this long after its end lost its message: the sweep queues it again. */
const stalledMarginMs = 5 * 60_000;
const attempts = 8;

export interface NotifiedChangesJob {
  tenantId: string;
  /** A lifecycle event asked for the tenant's subscriptions to be renewed (or made anew) now. */
  renew?: boolean;
}

/** Lifecycle events after which Graph sends nothing more until the subscription is renewed or made anew. */
const renewingEvents = new Set(['reauthorizationRequired', 'subscriptionRemoved']);

export interface NotifiedChangesDeps {
  tenants: TenantTable;
  index: EntityTable<GraphSubscriptionRecord>;
  queue: MessageQueue<NotifiedChangesJob>;
  scheduler: Pick<ReplicationScheduler, 'onChangeNotification'>;
  quietSeconds: number;
}

/**
 * What Graph's change notifications lead to: a notification is acted on only when its subscription is one the
 * connector made for that tenant and its client state matches (compared as hashes, in constant time); it starts
 * or joins the tenant's quiet period (`quietSeconds` from its first notification: later ones join the window
 * without putting it off), whose end queues one delta run. The daily run stays the safety net.
 */
export class NotifiedChanges {
  constructor(private readonly deps: NotifiedChangesDeps) {}

  /**
   * A POST from Graph: the notifications whose subscription and client state match start (or join) their
   * tenant's quiet period; the rest are dropped. Only checks and one or two writes per tenant: Graph wants its
   * answer within 3 seconds.
   */
  async receive(
    value: readonly Record<string, unknown>[],
    now = new Date(),
  ): Promise<{ accepted: number; dropped: number }> {
    const records = new Map<string, GraphSubscriptionRecord | undefined>();
    const tenants = new Set<string>();
    const renewals = new Set<string>();
    let dropped = 0;
    for (const notification of value) {
      const id = typeof notification.subscriptionId === 'string' ? notification.subscriptionId : '';
      if (!records.has(id))
        records.set(
          id,
          /^[\w-]{1,80}$/.test(id)
            ? (await this.deps.index.get(id, subscriptionRecordRow))?.entity
            : undefined,
        );
      const record = records.get(id);
      const clientState = typeof notification.clientState === 'string' ? notification.clientState : '';
      const matches =
        record !== undefined &&
        notification.tenantId === record.tenantId &&
        constantTimeEqual(clientStateHash(clientState), record.clientStateHash);
      if (!matches) {
        dropped += 1;
        continue;
      }
      // After a reauthorization the workflow starts the run that catches up what changed while notifications paused.
      if (renewingEvents.has(String(notification.lifecycleEvent))) renewals.add(record.tenantId);
      else tenants.add(record.tenantId);
    }
    for (const tenantId of renewals) await this.deps.queue.send({ tenantId, renew: true });
    for (const tenantId of tenants) await this.nudge(tenantId, now);
    return { accepted: value.length - dropped, dropped };
  }

  /** A tenant's quiet period ended (maybe): its run starts, or the wait goes on. */
  async quietEnded(tenantId: string, now = new Date()): Promise<'run' | 'covered' | 'waiting' | 'nothing'> {
    for (let attempt = 1; ; attempt += 1) {
      const stored = await this.deps.tenants.get(tenantId, tenantRows.notifiedChanges);
      const row = stored?.entity;
      if (!stored || !row?.pendingSince || !row.lastNotifiedAt) return 'nothing';
      // A window from the first notification: later ones join it without putting the run off.
      const dueAt = Date.parse(row.pendingSince) + this.deps.quietSeconds * 1000;
      if (now.getTime() < dueAt) {
        await this.deps.queue.send(
          { tenantId },
          { visibilityDelaySeconds: Math.ceil((dueAt - now.getTime()) / 1000) },
        );
        return 'waiting';
      }
      // The run first: a crash before the period is cleared leaves it pending, and the sweep takes it up again.
      const run = await this.deps.scheduler.onChangeNotification(tenantId, now);
      const { pendingSince: _answered, lastNotifiedAt: _last, ...rest } = row;
      try {
        await this.deps.tenants.update(
          {
            ...rest,
            partitionKey: tenantId,
            rowKey: tenantRows.notifiedChanges,
            runsStarted: rest.runsStarted + (run ? 1 : 0),
          },
          stored.etag,
        );
      } catch (error) {
        // A notification came meanwhile: read again (the run just queued covers it, or one follows).
        if (!(error instanceof ConcurrencyError) || attempt >= attempts) throw error;
        continue;
      }
      return run ? 'run' : 'covered';
    }
  }

  /** Quiet periods whose message was lost or poisoned (pending long past their end), queued again. */
  async requeueStalled(now = new Date()): Promise<number> {
    let requeued = 0;
    const stalledBefore = now.getTime() - this.deps.quietSeconds * 1000 - stalledMarginMs;
    for await (const { entity } of this.deps.tenants.query<Entity<NotifiedChangesRow>>(
      tableFilter.rowKey(tenantRows.notifiedChanges),
      ['PartitionKey', 'pendingSince'],
    )) {
      if (!entity.pendingSince || Date.parse(entity.pendingSince) >= stalledBefore) continue;
      await this.deps.queue.send({ tenantId: entity.partitionKey });
      requeued += 1;
    }
    return requeued;
  }

  /** The first notification of a quiet period queues its end; later ones join it (a catch-up is one, too). */
  async nudge(tenantId: string, now = new Date()): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const stored = await this.deps.tenants.get(tenantId, tenantRows.notifiedChanges);
      const row: NotifiedChangesRow = stored?.entity ?? { notifications: 0, runsStarted: 0 };
      const first = !row.pendingSince;
      const next = {
        ...row,
        partitionKey: tenantId,
        rowKey: tenantRows.notifiedChanges,
        pendingSince: row.pendingSince ?? now.toISOString(),
        lastNotifiedAt: now.toISOString(),
        notifications: row.notifications + 1,
      };
      try {
        if (stored) await this.deps.tenants.update(next, stored.etag);
        else await this.deps.tenants.insert(next);
      } catch (error) {
        const raced = error instanceof ConcurrencyError || error instanceof EntityExistsError;
        if (!raced || attempt >= attempts) throw error;
        continue;
      }
      if (first) await this.deps.queue.send({ tenantId }, { visibilityDelaySeconds: this.deps.quietSeconds });
      return;
    }
  }
}
