import type { DomainEvent } from '../events/event-catalogue.js';
import type { Outbox } from '../events/outbox.js';
import type { EntityTable, Stored, TableTransaction } from '../storage/entity-table.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { PartitionLease } from '../storage/partition-lease.js';
import { ConcurrencyError } from '../storage/storage-errors.js';
import { tableFilter } from '../storage/table-filters.js';
import { connectorMetrics } from '../telemetry/connector-metrics.js';
import { describeActiveSpan, inSpan } from '../telemetry/connector-tracing.js';
import type { TenantTable } from '../tenants/tenant-partition.js';
import { backoffMs, maxQueueDelayMs } from './backoff.js';
import { passingFault } from './passing-faults.js';

/** What every workflow row carries besides its own fields: where it is, and how its last attempt went. */
export interface WorkflowRow {
  state: string;
  updatedAt: string;
  /** Attempts in a row that found a fault that passes (0 after a step went through). */
  attempts?: number;
  /** When the last step was tried (a step that went through, or an attempt that must wait). */
  lastAttemptAt?: string;
  /** When the one message that made the last attempt comes back. */
  nextAttemptAt?: string;
  /** What the last attempt met, in words safe to show. */
  lastError?: string;
}

/**
 * What a step did: moved the workflow on (`next`: the row's changes, written with the row's etag, in one
 * transaction with `alongside` writes of the same partition and `events` for the core; then `after`, work a crash
 * may skip because a sweep redoes it), or made an attempt that must wait (`wait`, with what it saw). A `next` that
 * sets `nextAttemptAt` in the future makes the workflow wait for it, and this message comes back then.
 */
export type StepResult<R> =
  | {
      next: Partial<R>;
      alongside?: (transaction: TableTransaction) => void;
      events?: DomainEvent[];
      after?: () => Promise<void>;
    }
  | { wait: number; said: string };

/** Where a job's workflow row and its lease are. */
export interface WorkflowKeys {
  partition: string;
  rowKey: string;
  leaseRowKey: string;
}

/**
 * A workflow's rows, steps and sweep. `C` is what one run of steps learns and later steps of the same run may use
 * (each run starts with an empty one): an answer a replica may not give again yet, a token already refreshed.
 */
export interface WorkflowSpec<R extends WorkflowRow, J, C extends object = object> {
  /** Named in logs and in `lastError`. */
  name: string;
  keys(job: J): WorkflowKeys;
  /** The job that drives a row (for the sweep). */
  jobOf(partition: string, row: R): J;
  /** The rows of this workflow start with this key, in any tenant's partition (for the sweep). */
  rowPrefix: string;
  working(row: R): boolean;
  step(row: Stored<R>, now: Date, run: Partial<C>): Promise<StepResult<R>>;
  /** Another lease the workflow must hold from this row's state on (none: undefined). */
  alsoHold?(row: R): string | undefined;
  leaseTtlMs: number;
  /** A working row whose next attempt is this long overdue has lost its message: the sweep queues it again. */
  sweepAfterMs: number;
}

export interface WorkflowRunnerDeps {
  table: TenantTable;
  outbox: Outbox;
}

export type Advance =
  /** The workflow ended (`moved`: this run took steps; else it had ended before). */
  | { outcome: 'finished'; moved: boolean }
  | { outcome: 'not_due' | 'lease_lost' | 'busy' }
  | { outcome: 'waiting'; waitMs: number };

/** What a message did, in words for the log (one line per message; an end is told once, by the run that made it). */
export function describeAdvance(result: Advance): string {
  switch (result.outcome) {
    case 'finished':
      return result.moved ? 'finished' : 'nothing left to do (ended before)';
    case 'waiting':
      return `waiting ${Math.round(result.waitMs / 1000)} s`;
    case 'busy':
      return 'another worker has it';
    case 'not_due':
      return 'not due yet (its own message comes later)';
    default:
      return 'stopped: its lease was taken over';
  }
}

/** A message that came a few seconds early is the queue's clock, not a duplicate. */
const dueSlackMs = 5_000;
/** Rows changed under a run (by a request) it reads again before it leaves the rest to the queue's retry. */
const maxRereads = 3;

export interface AdvanceOptions {
  /** The message came again after a worker died or threw: it may be the only one left. */
  redelivered?: boolean;
  /** A request asks for the next attempt now (the core published a record): the first step is taken early. */
  dueNow?: boolean;
}

/**
 * The one runner of the connector's durable workflows: a row per workflow in its tenant's partition, a table of
 * steps per state, a queue, and this. It owns the lease (checked before every step; a workflow whose lease was
 * taken over stops), the loop, the etag save, the commit with its events, the due rule (only the message that
 * made an attempt schedules the next, and a message that finds another worker on the workflow ends, so nudges
 * never multiply), re-queueing with a capped delay, the one
 * classifier of faults that pass and the one backoff, the sweep of rows whose message was lost, and what a poisoned
 * message does: the workflow is taken up again later, never left waiting for a message that will not come.
 */
export class WorkflowRunner<R extends WorkflowRow, J, C extends object = object> {
  /** The tenant table, seen as holding this workflow's rows (each workflow owns its row prefix in a partition). */
  private readonly rows: EntityTable<R>;

  constructor(
    private readonly spec: WorkflowSpec<R, J, C>,
    private readonly queue: MessageQueue<J>,
    private readonly deps: WorkflowRunnerDeps,
  ) {
    this.rows = deps.table as unknown as EntityTable<R>;
  }

  /** Sends the job (now, or after `delayMs`, capped at what a queue can hide a message). */
  enqueue(job: J, delayMs = 0): Promise<string> {
    const seconds = Math.ceil(Math.min(Math.max(0, delayMs), maxQueueDelayMs) / 1000);
    return this.queue.send(job, seconds ? { visibilityDelaySeconds: seconds } : {});
  }

  /**
   * A queue message: the workflow taken as far as it goes now, and the message sent again when it must wait.
   * `dequeueCount` above 1 means the message comes again after a worker died or threw: if that worker had saved
   * a wait but not yet sent its message, this one is the only one left, so it comes back when the wait ends.
   */
  async work(job: J, options: { dequeueCount?: number; now?: Date } & AdvanceOptions = {}): Promise<Advance> {
    const now = options.now ?? new Date();
    const result = await this.advance(job, now, {
      redelivered: (options.dequeueCount ?? 1) > 1,
      dueNow: options.dueNow,
    });
    if (result.outcome === 'waiting') await this.enqueue(job, result.waitMs);
    return result;
  }

  /** The dimensions a job's telemetry carries: its tenant and the workflow's name. */
  dimensions(job: J): { tenantId: string; workflow: string } {
    return { tenantId: this.spec.keys(job).partition, workflow: this.spec.name };
  }

  /**
   * Takes the workflow as far as it goes now, under its lease. A row written meanwhile without the lease (a
   * request that changed it) is read again and its step taken again: each step takes what it finds done as done.
   */
  async advance(job: J, now = new Date(), options: AdvanceOptions = {}): Promise<Advance> {
    const redelivered = options.redelivered ?? false;
    const keys = this.spec.keys(job);
    describeActiveSpan(this.dimensions(job));
    const lease = new PartitionLease(this.deps.table, keys.partition, keys.leaseRowKey, this.spec.leaseTtlMs);
    if (!(await lease.acquire(now))) {
      // Another worker has it: its message carries the workflow on, so a nudge ends and nothing multiplies. A
      // message delivered again is the dead holder's own: it comes back when the lease ends.
      if (!redelivered) return { outcome: 'busy' };
      return {
        outcome: 'waiting',
        waitMs: Math.max(1_000, (lease.heldUntil?.getTime() ?? 0) - now.getTime()),
      };
    }
    lease.keepRenewed();
    const others = new Map<string, { release(): Promise<void> }>();
    try {
      let row = await this.row(keys);
      let moved = false;
      const run: Partial<C> = {};
      let rereads = 0;
      while (row && this.spec.working(row.entity)) {
        if (lease.lost) return { outcome: 'lease_lost' };
        const due = Date.parse(row.entity.nextAttemptAt ?? '');
        // A wait this run just set is kept, however short; the slack is for a message the queue's clock sent early.
        const early = due - now.getTime();
        if (early > (moved ? 0 : dueSlackMs) && !(options.dueNow && !moved))
          // The message that moved the workflow on (or the only one left) is the one to come back when it is due.
          return moved || redelivered ? { outcome: 'waiting', waitMs: early } : { outcome: 'not_due' };
        const other = this.spec.alsoHold?.(row.entity);
        if (other && !others.has(other)) {
          const held = new PartitionLease(this.deps.table, keys.partition, other, this.spec.leaseTtlMs);
          if (!(await held.acquire(now))) {
            // The work it waits for is someone else's: this workflow's one message comes back when it may end.
            const wait = Math.max(1_000, (held.heldUntil?.getTime() ?? 0) - now.getTime());
            await this.save(row, {
              nextAttemptAt: new Date(now.getTime() + wait).toISOString(),
              lastError: `waiting for ${other}`,
            } as Partial<R>);
            return { outcome: 'waiting', waitMs: wait };
          }
          held.keepRenewed();
          others.set(other, held);
        }
        const step = row.entity.state;
        const attempted = row;
        const result = await inSpan(
          `${this.spec.name} ${step}`,
          { attributes: { ...this.dimensions(job), step } },
          () => this.attempt(attempted, now, run),
        );
        try {
          if ('wait' in result) {
            await this.save(row, {
              attempts: (row.entity.attempts ?? 0) + 1,
              lastAttemptAt: now.toISOString(),
              nextAttemptAt: new Date(now.getTime() + result.wait).toISOString(),
              lastError: result.said,
            } as Partial<R>);
            return { outcome: 'waiting', waitMs: result.wait };
          }
          row = await this.commit(keys.partition, row, result, now);
        } catch (error) {
          rereads += 1;
          if (!(error instanceof ConcurrencyError) || rereads > maxRereads) throw error;
          row = await this.row(keys);
          continue;
        }
        await result.after?.();
        moved = true;
      }
      return { outcome: 'finished', moved };
    } finally {
      for (const held of others.values()) await held.release();
      await lease.release();
    }
  }

  /** One step; a fault that passes becomes a wait by the one backoff, anything else is thrown (the queue retries). */
  private async attempt(row: Stored<R>, now: Date, run: Partial<C>): Promise<StepResult<R>> {
    try {
      return await this.spec.step(row, now, run);
    } catch (error) {
      const said = passingFault(error);
      if (said === undefined) throw error;
      return { wait: backoffMs((row.entity.attempts ?? 0) + 1), said };
    }
  }

  /**
   * A message that failed as often as the queue allows (a bug, or a fault the classifier does not know): the
   * failure is recorded on the row and the workflow taken up again after the longest backoff, so it is never left
   * waiting for a message that will not come. Nothing when the workflow has ended.
   */
  async poisoned(job: J, reason: string): Promise<boolean> {
    const keys = this.spec.keys(job);
    const row = await this.row(keys);
    if (!row || !this.spec.working(row.entity)) return false;
    const attempts = (row.entity.attempts ?? 0) + 1;
    const wait = backoffMs(Math.max(attempts, 5));
    await this.save(row, {
      attempts,
      nextAttemptAt: new Date(Date.now() + wait).toISOString(),
      lastError: `${this.spec.name}: ${reason}`,
    } as Partial<R>);
    await this.enqueue(job, wait);
    return true;
  }

  /**
   * Queues again every working row whose next attempt is long overdue: its message was lost. `visit` sees every
   * row of the workflow on the way (for what a workflow keeps in step with its rows).
   */
  async sweep(now = new Date(), visit?: (partition: string, row: R) => void): Promise<{ queued: number }> {
    let queued = 0;
    const byState: Record<string, number> = { all: 0 };
    for await (const { entity } of this.rows.query(tableFilter.rowKeysStartingWith(this.spec.rowPrefix))) {
      visit?.(entity.partitionKey, entity);
      if (!this.spec.working(entity)) continue;
      byState.all = (byState.all ?? 0) + 1;
      byState[entity.state] = (byState[entity.state] ?? 0) + 1;
      const due = Date.parse(entity.nextAttemptAt ?? entity.updatedAt);
      if (due + this.spec.sweepAfterMs >= now.getTime()) continue;
      await this.enqueue(this.spec.jobOf(entity.partitionKey, entity));
      queued += 1;
    }
    connectorMetrics.workflowsByState(this.spec.name, byState);
    return { queued };
  }

  /** The workflow's name (its telemetry's `workflow` dimension). */
  get name(): string {
    return this.spec.name;
  }

  /** The workflows of this kind not yet ended, counted by state (one read of its rows). */
  async underWay(): Promise<Record<string, number>> {
    const byState: Record<string, number> = {};
    for await (const { entity } of this.rows.query(tableFilter.rowKeysStartingWith(this.spec.rowPrefix))) {
      if (this.spec.working(entity)) byState[entity.state] = (byState[entity.state] ?? 0) + 1;
    }
    return byState;
  }

  private async row(keys: WorkflowKeys): Promise<Stored<R> | undefined> {
    return this.rows.get(keys.partition, keys.rowKey);
  }

  private async commit(
    partition: string,
    row: Stored<R>,
    result: Extract<StepResult<R>, { next: unknown }>,
    now: Date,
  ): Promise<Stored<R>> {
    const entity = tidy({
      ...row.entity,
      attempts: 0,
      nextAttemptAt: undefined,
      lastError: undefined,
      lastAttemptAt: now.toISOString(),
      ...result.next,
      updatedAt: new Date().toISOString(),
    });
    if (!result.alongside && !result.events?.length)
      return { entity, etag: await this.rows.update(entity, row.etag) };
    const transaction = this.rows.transaction(partition).update(entity, row.etag);
    result.alongside?.(transaction);
    if (result.events?.length) this.deps.outbox.stage(transaction, result.events);
    await transaction.commit();
    if (result.events?.length) await this.deps.outbox.kick(partition);
    return (await this.rows.get(partition, row.entity.rowKey)) ?? { entity, etag: '' };
  }

  private async save(row: Stored<R>, changes: Partial<R>): Promise<Stored<R>> {
    const entity = tidy({ ...row.entity, ...changes, updatedAt: new Date().toISOString() });
    return { entity, etag: await this.rows.update(entity, row.etag) };
  }
}

/** Properties set to undefined are dropped, so a replaced row loses them. */
export function tidy<T extends object>(entity: T): T {
  return Object.fromEntries(Object.entries(entity).filter(([, value]) => value !== undefined)) as T;
}
