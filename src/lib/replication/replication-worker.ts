import type { DomainEvent } from '../events/event-catalogue.js';
import type { Outbox } from '../events/outbox.js';
import { pacedGraphClient } from '../graph/paced-graph-client.js';
import { ResourceUnitPacer } from '../graph/resource-unit-pacer.js';
import { consoleLogger, type Logger } from '../hosting/logger.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem } from '../identity/credential-problem.js';
import { IdentityUnavailable } from '../identity/identity-unavailable.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import { VaultUnavailable } from '../secrets/vault-unavailable.js';
import type { TableTransaction } from '../storage/entity-table.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { PartitionLease } from '../storage/partition-lease.js';
import { storageBusy } from '../storage/storage-errors.js';
import { describeActiveSpan } from '../telemetry/connector-tracing.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import { isLeaving } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { type DeletionThreshold, defaultDeletionThreshold, describeThreshold } from './deletion-threshold.js';
import type { ReplicaStore } from './replica-store.js';
import { LeaseLost } from './replication-errors.js';
import {
  type ReplicationRunRecord,
  type ReplicationState,
  type RunCounts,
  runEnded,
} from './replication-run.js';
import { type ReplicationJob, ReplicationSlice } from './replication-slice.js';
import { recordRunEnd } from './run-telemetry.js';

export type { ReplicationJob };

export type WorkOutcome = 'completed' | 'held' | 'continued' | 'deferred' | 'failed' | 'already_done';

export interface WorkerDeps {
  /** The `Tenants` table: runs, delta links and the lease live in each tenant's partition. */
  tenants: TenantTable;
  replica: ReplicaStore;
  registry: TenantRegistry;
  secrets: TenantSecretStore;
  tokens: AppTokenProvider;
  outbox: Outbox;
  queue: MessageQueue<ReplicationJob>;
  graphEndpoint: string;
  /** How long one invocation works before it checkpoints and queues its continuation. */
  sliceMs: number;
  /** Resource units per 10 s to pace Graph calls under. */
  resourceBudget?: number;
  /** Planned writes that start a flush (in the background) mid-phase. */
  writesPerFlush?: number;
  /** The `$top` lists paged by `$skip` ask for (their documented maximum by default). */
  listPageSize?: number;
  /** Removals one run may store before it holds them for an operator (500 objects by default). */
  deletionThreshold?: DeletionThreshold;
  /** The cloud's Graph has the Teams telephony endpoints (true when not said). */
  teamsApis?: boolean;
  /** How long a run waits out faults that are not its tenant's before it fails (6 hours by default). */
  retryHorizonHours?: number;
  /** The longest such a run's job waits before it is tried again (5 minutes by default). */
  waitSeconds?: number;
  /**
   * The term of a tenant's replication lease, renewed every quarter of it while a slice works (2 minutes by
   * default): how long a worker that died holds its tenant up once its message is back.
   */
  leaseSeconds?: number;
}

const finished = (run: ReplicationRunRecord) => runEnded(run.status);

/**
 * Another run that has saved nothing for this long is taken as abandoned, so a tenant's next run may go ahead:
 * three of Azure's 10-minute queue message leases, and longer than any wait a run schedules for itself.
 */
const abandonedAfterMs = 30 * 60_000;

/** A job that finds its tenant's lease held comes back once that lease would have ended (within a minute). */
function deferralSeconds(heldUntil: Date | undefined): number {
  const remaining = heldUntil ? Math.ceil((heldUntil.getTime() - Date.now()) / 1000) : 60;
  return Math.min(60, Math.max(1, remaining + 1));
}

/**
 * Replicates one tenant, one slice (invocation) at a time: takes the tenant's lease, lets one run at a time
 * work, gets the tenant's token, hands the work to a ReplicationSlice, and ends the run once it is done, or fails
 * it once (credentials that stop working mark the tenant; no retry).
 */
export class ReplicationWorker {
  private readonly pacers = new Map<string, ResourceUnitPacer>();

  constructor(private readonly deps: WorkerDeps) {}

  private get threshold(): DeletionThreshold {
    return this.deps.deletionThreshold ?? defaultDeletionThreshold;
  }

  async process(
    job: ReplicationJob,
    log: Logger = consoleLogger,
    started = Date.now(),
  ): Promise<WorkOutcome> {
    const { tenants } = this.deps;
    describeActiveSpan({ tenantId: job.tenantId, runId: job.runId });
    const stored = await tenants.get(job.tenantId, tenantRows.run(job.runId));
    if (!stored) {
      log.warn(`replication job for an unknown run ${job.runId} of ${job.tenantId}: dropped`);
      return 'already_done';
    }
    if (finished(stored.entity)) return 'already_done';
    const lease = new PartitionLease(tenants, job.tenantId, tenantRows.replicationLease, this.leaseMs);
    if (!(await lease.acquire())) {
      await this.deps.queue.send(job, { visibilityDelaySeconds: deferralSeconds(lease.heldUntil) });
      return 'deferred';
    }
    lease.keepRenewed();
    try {
      const run = (await tenants.get(job.tenantId, tenantRows.run(job.runId)))?.entity ?? stored.entity;
      return await this.slice(job, run, started, log, () => lease.lost);
    } catch (error) {
      const busy = storageBusy(error);
      if (busy) return await this.waitOut(job, busy, log);
      if (!(error instanceof LeaseLost)) throw error;
      log.warn(error.message);
      await this.deps.queue.send(job, { visibilityDelaySeconds: deferralSeconds(undefined) });
      return 'deferred';
    } finally {
      await lease.release();
    }
  }

  private get leaseMs(): number {
    return (this.deps.leaseSeconds ?? 120) * 1000;
  }

  private async slice(
    job: ReplicationJob,
    run: ReplicationRunRecord,
    started: number,
    log: Logger,
    leaseLost: () => boolean,
  ): Promise<WorkOutcome> {
    const { tenants } = this.deps;
    const tenant = (await this.deps.registry.get(job.tenantId))?.entity;
    if (!tenant || isLeaving(tenant.status) || tenant.status === 'credentials_invalid') {
      return this.fail(
        job,
        tenant ? `tenant is ${tenant.status.replace('_', ' ')}` : 'tenant not found',
        log,
      );
    }
    const state: ReplicationState =
      (await tenants.get(job.tenantId, tenantRows.replicationState))?.entity ?? {};
    // One run at a time: runs interleaving their full enumerations would sweep away what the other saw.
    if (
      state.activeRun &&
      state.activeRun !== run.runId &&
      (await this.isActive(job.tenantId, state.activeRun))
    ) {
      await this.deps.queue.send(job, { visibilityDelaySeconds: 60 });
      return 'deferred';
    }
    state.activeRun = run.runId;
    const serviceId = (JSON.parse(tenant.services) as { id: string }[])[0]?.id ?? '';
    let token: string;
    try {
      const credential = await this.deps.secrets.get(job.tenantId, serviceId);
      if (!credential) throw new CredentialProblem('invalid_secret');
      token = (await this.deps.tokens.token(credential)).accessToken;
    } catch (error) {
      if (error instanceof VaultUnavailable)
        return this.waitOut(job, 'the connector could not use its Key Vault', log);
      if (error instanceof IdentityUnavailable)
        return this.waitOut(job, 'Microsoft Entra did not answer token requests', log);
      if (!(error instanceof CredentialProblem)) throw error;
      await this.deps.registry.markCredentialsInvalid(job.tenantId, error.code, serviceId);
      return this.fail(job, `credentials do not work: ${error.code}`, log);
    }

    const pacer = this.pacers.get(job.tenantId) ?? new ResourceUnitPacer(this.deps.resourceBudget);
    this.pacers.set(job.tenantId, pacer);
    const { graph, takeRequests } = pacedGraphClient(
      this.deps.graphEndpoint,
      pacer,
      () => started + this.deps.sliceMs,
    );
    const slice = new ReplicationSlice({
      job,
      run,
      state,
      tenants,
      replica: this.deps.replica,
      queue: this.deps.queue,
      graph,
      token,
      takeRequests,
      started,
      sliceMs: this.deps.sliceMs,
      writesPerFlush: this.deps.writesPerFlush,
      listPageSize: this.deps.listPageSize,
      deletionThreshold: this.threshold,
      teamsApis: this.deps.teamsApis ?? true,
      leaseLost,
      log,
    });
    const end = await slice.work();
    if (end.outcome === 'continued') return 'continued';
    if (end.outcome === 'waiting') return this.waitOut(job, end.reason, log, end.retryAfterMs);
    return this.complete(job, run, slice.counts);
  }

  /** Whether a run is queued or running and has made progress lately (a run silent that long is abandoned). */
  private async isActive(tenantId: string, runId: string): Promise<boolean> {
    const other = (await this.deps.tenants.get(tenantId, tenantRows.run(runId)))?.entity;
    return (
      other !== undefined && !finished(other) && Date.now() - Date.parse(other.updatedAt) < abandonedAfterMs
    );
  }

  /** Ends the tenant's active run if it is this one, in the transaction that ends the run. */
  private async endActive(transaction: TableTransaction, tenantId: string, runId: string): Promise<void> {
    const state = (await this.deps.tenants.get(tenantId, tenantRows.replicationState))?.entity;
    if (state?.activeRun === runId) transaction.merge({ rowKey: tenantRows.replicationState, activeRun: '' });
  }

  /**
   * Ends a run that worked to its end: completed, or held when it held removals back. In the same transaction:
   * the tenant's hold (a new one, one that goes on in this run, or one this run ends: released, or dropped as no
   * longer seen), and the events: replication.completed always, replication.held once when a hold begins.
   */
  private async complete(
    job: ReplicationJob,
    run: ReplicationRunRecord,
    counts: RunCounts,
  ): Promise<WorkOutcome> {
    const { tenants } = this.deps;
    const stored = await tenants.get(job.tenantId, tenantRows.run(run.runId));
    const record = stored?.entity ?? run;
    const held = record.held ? (JSON.parse(record.held) as Record<string, number>) : undefined;
    const ended: ReplicationRunRecord = {
      ...record,
      status: held ? 'held' : 'completed',
      ...(held ? { hold: 'holding' as const } : {}),
      finishedAt: new Date().toISOString(),
      counts: JSON.stringify(counts),
    };
    // A run that changed nothing reports the feed's newest position all the same: a core that stores it reads on
    // from there, not from the start (which is a 410 once the feed is trimmed).
    const cursor =
      ended.cursor ??
      (await this.deps.replica.newestCursor(
        job.tenantId,
        (
          await tenants.get(job.tenantId, tenantRows.replicationState)
        )?.entity.feedBase,
      )) ??
      '';
    const events: DomainEvent[] = [
      {
        type: 'replication.completed',
        data: { tenantId: job.tenantId, runId: run.runId, counts, cursor, ...(held ? { held } : {}) },
      },
    ];
    const transaction = tenants
      .transaction(job.tenantId)
      .update({ ...ended, rowKey: tenantRows.run(run.runId) }, stored?.etag ?? '*');
    const state = (await tenants.get(job.tenantId, tenantRows.replicationState))?.entity;
    const previous = state?.heldRun && state.heldRun !== run.runId ? state.heldRun : undefined;
    const earlier = previous ? await tenants.get(job.tenantId, tenantRows.run(previous)) : undefined;
    if (earlier) {
      const outcome = held ? 'superseded' : record.releaseOf === previous ? 'released' : 'dropped';
      transaction.update(
        { ...earlier.entity, rowKey: tenantRows.run(previous ?? ''), hold: outcome },
        earlier.etag,
      );
    }
    if (held && !earlier)
      events.push({
        type: 'replication.held',
        data: {
          tenantId: job.tenantId,
          runId: run.runId,
          held,
          threshold: describeThreshold(this.threshold),
        },
      });
    transaction.merge({
      rowKey: tenantRows.replicationState,
      ...(state?.activeRun === run.runId ? { activeRun: '' } : {}),
      heldRun: held ? run.runId : '',
    });
    this.deps.outbox.stage(transaction, events);
    await transaction.commit();
    recordRunEnd(job.tenantId, record, held ? 'held' : 'completed', counts);
    await this.deps.outbox.kick(job.tenantId);
    return held ? 'held' : 'completed';
  }

  /**
   * Waits out a fault that is not the tenant's (its vault, Entra or Graph not answering, Graph throttling, Azure
   * Storage busy past its scalability targets): the run
   * says what it waits for, its job comes back later without using up the message's tries (as long as Graph asked,
   * else longer the longer it has waited, up to `waitSeconds`), and no tenant changes status; only past the retry
   * horizon does the run fail, saying what it waited for.
   */
  private async waitOut(
    job: ReplicationJob,
    reason: string,
    log: Logger,
    retryAfterMs?: number,
  ): Promise<WorkOutcome> {
    const stored = await this.deps.tenants.get(job.tenantId, tenantRows.run(job.runId));
    if (!stored || finished(stored.entity)) return 'already_done';
    const since = stored.entity.waitingSince ?? new Date().toISOString();
    const waitedMs = Date.now() - Date.parse(since);
    const horizonHours = this.deps.retryHorizonHours ?? 6;
    if (waitedMs > horizonHours * 3_600_000)
      return this.fail(job, `${reason}, for more than ${horizonHours} hours`, log);
    await this.deps.tenants.update(
      {
        ...stored.entity,
        rowKey: tenantRows.run(job.runId),
        waitingSince: since,
        waitingFor: reason,
        updatedAt: new Date().toISOString(),
      },
      stored.etag,
    );
    const delaySeconds =
      retryAfterMs !== undefined
        ? Math.max(1, Math.ceil(retryAfterMs / 1000))
        : Math.min(this.deps.waitSeconds ?? 300, Math.max(15, Math.round(waitedMs / 4000)));
    await this.deps.queue.send(job, { visibilityDelaySeconds: delaySeconds });
    log.warn(`${job.tenantId}: replication run ${job.runId} waits ${delaySeconds} s: ${reason}`, {
      tenantId: job.tenantId,
      runId: job.runId,
      outcome: 'waiting',
    });
    return 'deferred';
  }

  /** Gives a run up for good (its job kept failing): failed, once, and the core told; 'unknown' for no such run. */
  async giveUp(job: ReplicationJob, reason: string, log: Logger): Promise<WorkOutcome | 'unknown'> {
    if (!(await this.deps.tenants.get(job.tenantId, tenantRows.run(job.runId)))) return 'unknown';
    return this.fail(job, reason, log);
  }

  /** Ends a run as failed, once, and tells the core (no retry: the message is done). */
  private async fail(job: ReplicationJob, reason: string, log: Logger): Promise<WorkOutcome> {
    const stored = await this.deps.tenants.get(job.tenantId, tenantRows.run(job.runId));
    if (!stored || finished(stored.entity)) return 'already_done';
    const transaction = this.deps.tenants.transaction(job.tenantId).update(
      {
        ...stored.entity,
        rowKey: tenantRows.run(job.runId),
        status: 'failed',
        reason,
        finishedAt: new Date().toISOString(),
      },
      stored.etag,
    );
    await this.endActive(transaction, job.tenantId, job.runId);
    this.deps.outbox.stage(transaction, [
      { type: 'replication.failed', data: { tenantId: job.tenantId, runId: job.runId, reason } },
    ]);
    await transaction.commit();
    recordRunEnd(job.tenantId, stored.entity, 'failed');
    await this.deps.outbox.kick(job.tenantId);
    log.warn(`${job.tenantId}: replication run ${job.runId} failed: ${reason}`, {
      tenantId: job.tenantId,
      runId: job.runId,
      outcome: 'failed',
    });
    return 'failed';
  }
}
