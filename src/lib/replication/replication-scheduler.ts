import { createHash } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import type { Outbox } from '../events/outbox.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { ConcurrencyError, EntityExistsError } from '../storage/storage-errors.js';
import { tableFilter } from '../storage/table-filters.js';
import { connectorMetrics } from '../telemetry/connector-metrics.js';
import { reconnectFix, TenantNotFound, TenantNotReady } from '../tenants/tenant-errors.js';
import { type TenantTable, tenantRowPrefixes, tenantRows } from '../tenants/tenant-partition.js';
import { isLeaving, type TenantRecord } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { RunNotFound, RunNotHeld } from './replication-errors.js';
import {
  emptyCounts,
  type ReplicationRunRecord,
  type ReplicationRunView,
  toRunView,
} from './replication-run.js';
import type { ReplicationJob } from './replication-worker.js';

const nextUlid = monotonicFactory();

/** Why a tenant is not replicated now, or undefined when it is ready. */
const runIdPrefix: Record<ReplicationRunRecord['trigger'], string> = {
  schedule: 'run',
  on_demand: 'od',
  change_notification: 'cn',
  write_back: 'wb',
};

export function notReadyReason(tenant: TenantRecord): string | undefined {
  if (tenant.status === 'credentials_invalid') return 'credentials invalid';
  if (tenant.verdict === 'blocked') return 'required roles or permissions missing';
  return undefined;
}

/** Where in the window a tenant's daily run starts: the same spot every day, spread by its id. */
export function spreadSeconds(tenantId: string, windowMinutes: number): number {
  const window = Math.max(windowMinutes * 60, 1);
  return createHash('sha256').update(tenantId).digest().readUInt32BE(0) % window;
}

/** Plans replication runs: the daily fan-out, runs on demand, and their history. */
export class ReplicationScheduler {
  constructor(
    private readonly tenants: TenantTable,
    private readonly registry: TenantRegistry,
    private readonly queue: MessageQueue<ReplicationJob>,
    private readonly outbox: Outbox,
    private readonly windowMinutes: number,
  ) {}

  /**
   * Releases a hold: a run now that may store every removal it finds (the held run's delta links were kept, so
   * it sees them again). Releasing again answers the same run.
   */
  async release(tenantId: string, runId: string, now = new Date()): Promise<ReplicationRunView> {
    if (!(await this.registry.get(tenantId))) throw new TenantNotFound(tenantId);
    const held = await this.tenants.get(tenantId, tenantRows.run(runId));
    if (!held) throw new RunNotFound(runId);
    if (held.entity.releasedBy) {
      const release = await this.tenants.get(tenantId, tenantRows.run(held.entity.releasedBy));
      if (release) return toRunView(release.entity, now);
    }
    const state = (await this.tenants.get(tenantId, tenantRows.replicationState))?.entity;
    if (held.entity.hold !== 'holding' || state?.heldRun !== runId) throw new RunNotHeld(runId);
    const run = { ...this.newRun(`od-${nextUlid(now.getTime())}`, 'on_demand', now), releaseOf: runId };
    try {
      await this.tenants
        .transaction(tenantId)
        .insert({ rowKey: tenantRows.run(run.runId), ...run })
        .update({ ...held.entity, rowKey: tenantRows.run(runId), releasedBy: run.runId }, held.etag)
        .commit();
    } catch (error) {
      // Released by another request at the same moment (a double click): its release run is the answer.
      if (!(error instanceof ConcurrencyError)) throw error;
      return this.release(tenantId, runId, now);
    }
    await this.queue.send({ tenantId, runId: run.runId });
    return toRunView(run, now);
  }

  private newRun(runId: string, trigger: ReplicationRunRecord['trigger'], now: Date): ReplicationRunRecord {
    return {
      runId,
      trigger,
      status: 'queued',
      phase: 'users',
      generation: now.getTime(),
      counts: JSON.stringify(emptyCounts()),
      pages: 0,
      requests: 0,
      slices: 0,
      queuedAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
  }

  /**
   * The daily cycle: one run per ready tenant, queued with a delay that spreads them over the window. Firing
   * twice in a cycle queues nothing new (the run's id is the cycle's date). Tenants that are not ready get a
   * skipped run with the reason, and the core hears of it (replication.failed).
   */
  async fanOut(
    now = new Date(),
  ): Promise<{ queued: string[]; skipped: { tenantId: string; reason: string }[] }> {
    const runId = `cycle-${now.toISOString().slice(0, 10)}`;
    const queued: string[] = [];
    const skipped: { tenantId: string; reason: string }[] = [];
    const byStatus: Record<string, number> = {};
    for await (const { entity: tenant } of this.tenants.query<TenantRecord>(
      tableFilter.rowKey(tenantRows.tenant),
    )) {
      const tenantId = tenant.partitionKey;
      byStatus[tenant.status] = (byStatus[tenant.status] ?? 0) + 1;
      if (isLeaving(tenant.status)) continue;
      const reason = notReadyReason(tenant);
      const run = this.newRun(runId, 'schedule', now);
      const transaction = this.tenants.transaction(tenantId).insert({
        rowKey: tenantRows.run(runId),
        ...(reason ? { ...run, status: 'skipped', reason, finishedAt: now.toISOString() } : run),
      });
      if (reason)
        this.outbox.stage(transaction, [
          { type: 'replication.failed', data: { tenantId, runId, reason: `skipped: ${reason}` } },
        ]);
      try {
        await transaction.commit();
      } catch (error) {
        if (error instanceof EntityExistsError) continue;
        throw error;
      }
      if (reason) {
        connectorMetrics.replicationRunEnded({ tenantId, outcome: 'skipped', trigger: 'schedule' });
        await this.outbox.kick(tenantId);
        skipped.push({ tenantId, reason });
        continue;
      }
      await this.queue.send(
        { tenantId, runId },
        { visibilityDelaySeconds: spreadSeconds(tenantId, this.windowMinutes) },
      );
      queued.push(tenantId);
    }
    connectorMetrics.tenantsByStatus(byStatus);
    return { queued, skipped };
  }

  /** A run now, for the core or an operator. */
  async onDemand(tenantId: string, now = new Date()): Promise<ReplicationRunView> {
    const tenant = (await this.registry.get(tenantId))?.entity;
    if (!tenant) throw new TenantNotFound(tenantId);
    if (isLeaving(tenant.status))
      throw new TenantNotReady(`the tenant is ${tenant.status}`, 'Invite it again to bring it back.');
    const reason = notReadyReason(tenant);
    if (reason)
      throw new TenantNotReady(reason, tenant.status === 'credentials_invalid' ? reconnectFix : undefined);
    const run = await this.createRun(tenantId, 'on_demand', now);
    await this.queue.send({ tenantId, runId: run.runId });
    return toRunView(run, now);
  }

  /**
   * A run for the changes Graph notified, unless one is queued already (it will read them when it starts): a
   * run going now gets one follow-up, not one per notification. Undefined when none was queued (a tenant not
   * ready is left to its daily run).
   */
  async onChangeNotification(tenantId: string, now = new Date()): Promise<ReplicationRunRecord | undefined> {
    const tenant = (await this.registry.get(tenantId))?.entity;
    if (!tenant || isLeaving(tenant.status) || notReadyReason(tenant)) return undefined;
    for await (const { entity } of this.tenants.queryPrefix(tenantId, tenantRowPrefixes.runs))
      if (entity.status === 'queued') return undefined;
    const run = await this.createRun(tenantId, 'change_notification', now);
    await this.queue.send({ tenantId, runId: run.runId });
    return run;
  }

  /**
   * A run that reads the tenant soon after now, for a change the connector made in it: one queued to start at once
   * and not started yet (it reads Graph when it starts; the daily run may be queued for hours later), or a new one.
   * Undefined for a tenant that is not replicated now.
   */
  async runAfterWriteBack(tenantId: string, now = new Date()): Promise<string | undefined> {
    const tenant = (await this.registry.get(tenantId))?.entity;
    if (!tenant || isLeaving(tenant.status) || notReadyReason(tenant)) return undefined;
    for await (const { entity } of this.tenants.queryPrefix(tenantId, tenantRowPrefixes.runs))
      if (entity.status === 'queued' && entity.trigger !== 'schedule') return entity.runId;
    const run = await this.createRun(tenantId, 'write_back', now);
    await this.queue.send({ tenantId, runId: run.runId });
    return run.runId;
  }

  /** Records a queued run (the caller sends its job). */
  async createRun(
    tenantId: string,
    trigger: ReplicationRunRecord['trigger'],
    now = new Date(),
  ): Promise<ReplicationRunRecord> {
    const run = this.newRun(`${runIdPrefix[trigger]}-${nextUlid(now.getTime())}`, trigger, now);
    await this.tenants.insert({ partitionKey: tenantId, rowKey: tenantRows.run(run.runId), ...run });
    return run;
  }

  async runs(tenantId: string, top: number, now = new Date()): Promise<ReplicationRunView[]> {
    const runs: ReplicationRunView[] = [];
    for await (const { entity } of this.tenants.queryPrefix(tenantId, tenantRowPrefixes.runs))
      runs.push(toRunView(entity, now));
    return runs.sort((a, b) => b.queuedAt.localeCompare(a.queuedAt)).slice(0, top);
  }
}
