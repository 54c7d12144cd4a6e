import type { DomainEvent } from '../events/event-catalogue.js';
import type { Outbox } from '../events/outbox.js';
import { StreamLease } from '../events/stream-lease.js';
import { GraphClient, GraphError } from '../graph/graph-client.js';
import { ResourceUnitPacer } from '../graph/resource-unit-pacer.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem } from '../identity/credential-problem.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import type { EntityTable, TableTransaction } from '../storage/entity-table.js';
import type { MessageQueue } from '../storage/message-queue.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { nextFeedBase } from './change-feed.js';
import { ListedIds } from './listed-ids.js';
import type { ReplicaStore } from './replica-store.js';
import { type Flushed, markSeen, type SeenIndex, writesPerFlush } from './replica-writer.js';
import {
  emptyCounts,
  type ReplicationPhase,
  type ReplicationRunRecord,
  type ReplicationState,
  type RunCounts,
  replicationStateRowKey,
  runRowKey,
} from './replication-run.js';

export interface ReplicationJob {
  tenantId: string;
  runId: string;
}

export type WorkOutcome = 'completed' | 'continued' | 'deferred' | 'failed' | 'already_done';

type Page = { value: Record<string, unknown>[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };

type TenantRow = Record<string, unknown>;

export interface WorkerDeps {
  /** The `Tenants` table: runs, delta links and the lease live in each tenant's partition. */
  tenants: EntityTable<TenantRow>;
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
  log: (message: string) => void;
}

const usersDelta = '/users/delta?$select=displayName,userPrincipalName,mail,accountEnabled,usageLocation';
const groupsDelta = '/groups/delta?$select=displayName,mail,members';
const teamsConfigurations = '/admin/teams/userConfigurations';
const directRoutingNumbers =
  "/admin/teams/telephoneNumberManagement/numberAssignments?$filter=numberType eq 'directRouting'";
const nextPhase: Record<ReplicationPhase, ReplicationPhase> = {
  users: 'groups',
  groups: 'voice',
  voice: 'numbers',
  numbers: 'done',
  done: 'done',
};
/** Progress is saved at least this often (each save stores what was planned first). */
const checkpointEveryMs = 5_000;
/** Longer than the function timeout, so a lease never ends under a live invocation. */
const leaseMs = 15 * 60_000;

const isExpiredDelta = (error: unknown) =>
  error instanceof GraphError &&
  (error.status === 410 || ['syncStateNotFound', 'resyncRequired', 'syncStateInvalid'].includes(error.code));

/**
 * Replicates one tenant, one slice at a time: users delta, groups delta with members, Teams user configurations,
 * Direct Routing numbers. Each page is stored before its position is checkpointed, and a delta link is saved only
 * after the changes it covers are stored; an expired delta link starts a full enumeration, whose unseen rows are
 * removed only once it completed. Before its slice runs out it checkpoints and queues its own continuation.
 */
export class ReplicationWorker {
  private readonly pacers = new Map<string, ResourceUnitPacer>();

  constructor(private readonly deps: WorkerDeps) {}

  async process(job: ReplicationJob, started = Date.now()): Promise<WorkOutcome> {
    const { tenants } = this.deps;
    const stored = await tenants.get(job.tenantId, runRowKey(job.runId));
    if (!stored) {
      this.deps.log(`replication job for an unknown run ${job.runId} of ${job.tenantId}: dropped`);
      return 'already_done';
    }
    if (['completed', 'failed', 'skipped'].includes(String(stored.entity.status))) return 'already_done';
    const lease = new StreamLease(tenants as never, job.tenantId, 'replication-lease', leaseMs);
    if (!(await lease.acquire())) {
      await this.deps.queue.send(job, { visibilityDelaySeconds: 60 });
      return 'deferred';
    }
    try {
      return await this.slice(
        job,
        (await tenants.get(job.tenantId, runRowKey(job.runId)))?.entity as unknown as ReplicationRunRecord,
        started,
      );
    } finally {
      await lease.release();
    }
  }

  private async slice(job: ReplicationJob, run: ReplicationRunRecord, started: number): Promise<WorkOutcome> {
    const { tenants, replica } = this.deps;
    const tenant = (await this.deps.registry.get(job.tenantId))?.entity as TenantRecord | undefined;
    if (!tenant || tenant.status === 'offboarded' || tenant.status === 'credentials_invalid') {
      return this.fail(
        job,
        run,
        tenant ? `tenant is ${tenant.status.replace('_', ' ')}` : 'tenant not found',
      );
    }
    const stateStored = await tenants.get(job.tenantId, replicationStateRowKey);
    const state: ReplicationState = (stateStored?.entity as ReplicationState | undefined) ?? {};
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
      token = (await this.deps.tokens.token(job.tenantId, credential.clientId, credential.secret))
        .accessToken;
    } catch (error) {
      if (!(error instanceof CredentialProblem)) throw error;
      await this.deps.registry.markCredentialsInvalid(job.tenantId, error.code, serviceId);
      return this.fail(job, run, `credentials do not work: ${error.code}`);
    }

    const pacer = this.pacers.get(job.tenantId) ?? new ResourceUnitPacer(this.deps.resourceBudget);
    this.pacers.set(job.tenantId, pacer);
    let requests = 0;
    const graph = new GraphClient({
      endpoint: this.deps.graphEndpoint,
      beforeRequest: () => {
        requests += 1;
        return pacer.before();
      },
      afterResponse: (headers) => pacer.after(headers),
    });
    const counts: RunCounts = { ...emptyCounts(), ...JSON.parse(run.counts) };
    // The run's own feed positions, so a flush repeated after a crash rewrites them; new ones if another run
    // wrote since, so positions keep growing.
    if (!run.feedBase || (state.feedBase && state.feedBase > run.feedBase))
      run.feedBase = nextFeedBase(state.feedBase);
    const now = () => new Date().toISOString();
    type Position = Pick<ReplicationRunRecord, 'phase' | 'next' | 'fullPhase' | 'pages'>;
    const position = (): Position => ({
      phase: run.phase,
      next: run.next,
      fullPhase: run.fullPhase,
      pages: run.pages,
    });
    const listed = new ListedIds(tenants, job.tenantId, run.runId);
    /**
     * Writes the run, at `at`, the tenant's replication state and what a whole list showed since the last save,
     * together (one partition, one transaction).
     */
    const save = async (
      at: Position = position(),
      listedRow?: Record<string, unknown> & { rowKey: string },
    ) => {
      const transaction = tenants
        .transaction(job.tenantId)
        .upsert({
          ...run,
          ...at,
          rowKey: runRowKey(run.runId),
          counts: JSON.stringify(counts),
          requests: run.requests + requests,
          updatedAt: now(),
        })
        .upsert({ ...state, rowKey: replicationStateRowKey });
      if (listedRow) transaction.upsert(listedRow);
      await transaction.commit();
      run.requests += requests;
      requests = 0;
    };
    const writer = replica.writer(job.tenantId);
    let storing: Promise<void> = Promise.resolve();
    let lastCheckpoint = Date.now();
    /**
     * Stores what was planned, then saves the position past it: nothing planned is ever skipped. In the
     * background, pages are fetched and planned meanwhile; one flush at a time, so at most two batches wait.
     */
    const checkpoint = async (background = false) => {
      await storing;
      const at = position();
      const listedRow =
        at.phase === 'voice' || at.phase === 'numbers' ? listed.take(at.phase, at.pages, now()) : undefined;
      const sealed = writer.seal();
      storing = (async () => {
        if (sealed.writes > 0) {
          const flushed = await sealed.flush(run.feedBase ?? '');
          addCounts(counts, flushed);
          if (flushed.lastSeq) run.cursor = flushed.lastSeq;
          run.feedBase = nextFeedBase(run.feedBase);
          state.feedBase = run.feedBase;
        }
        await save(at, listedRow);
      })();
      lastCheckpoint = Date.now();
      if (background) storing.catch(() => undefined);
      else await storing;
    };

    run.status = 'running';
    run.startedAt ??= now();
    run.slices += 1;
    await save();
    // Whole lists (voice, numbers) are compared with an index of what is stored, read once per slice.
    let listIndex: SeenIndex | undefined;
    const comparedFully = new Set<ReplicationPhase>();

    let prefetched: { url: string; page: Promise<Page> } | undefined;
    let firstPage = true;
    try {
      while (run.phase !== 'done') {
        if (!firstPage && Date.now() - started > this.deps.sliceMs) {
          await checkpoint();
          await this.deps.queue.send(job);
          return 'continued';
        }
        firstPage = false;
        const phase = run.phase;
        const deltaKey = phase === 'users' ? 'usersDeltaLink' : 'groupsDeltaLink';
        let url: string;
        if (phase === 'users' || phase === 'groups') {
          if (!run.next && !state[deltaKey]) run.fullPhase = true;
          url = run.next ?? state[deltaKey] ?? (phase === 'users' ? usersDelta : groupsDelta);
          if (run.fullPhase && !comparedFully.has(phase)) {
            // A first sync has nothing to compare with: no reads.
            comparedFully.add(phase);
            for (const kind of phase === 'users' ? (['user'] as const) : (['group', 'member'] as const))
              await writer.checkEmpty(kind);
          }
        } else {
          run.fullPhase = true;
          url = run.next ?? (phase === 'voice' ? teamsConfigurations : directRoutingNumbers);
          if (!listIndex) {
            listIndex = await replica.fieldIndex(
              job.tenantId,
              phase === 'voice' ? 'voice' : 'number',
              'hash',
            );
            // Resuming the list: what earlier slices saw is not to be swept.
            if (run.next) for await (const id of listed.saved(phase)) markSeen(listIndex, id);
          }
        }
        let page: Page;
        try {
          // The next page may already be on its way (fetched while the last one was being stored).
          const ahead = prefetched?.url === url ? prefetched.page : undefined;
          prefetched = undefined;
          page = await (ahead ?? graph.get<Page>(token, url));
        } catch (error) {
          if (!((phase === 'users' || phase === 'groups') && isExpiredDelta(error))) throw error;
          this.deps.log(`${job.tenantId}: ${phase} delta link expired; enumerating everything again`);
          await checkpoint();
          state[deltaKey] = undefined;
          run.next = undefined;
          run.fullPhase = true;
          await save();
          continue;
        }
        const following = page['@odata.nextLink'];
        if (following) {
          // Fetch the next page while this one is stored; a failure surfaces when it is awaited.
          const ahead = graph.get<Page>(token, following);
          ahead.catch(() => undefined);
          prefetched = { url: following, page: ahead };
        }
        const gen = run.fullPhase ? String(run.generation) : undefined;
        if (phase === 'users') await writer.users(page.value, gen);
        if (phase === 'groups') await writer.groups(page.value, gen);
        if (phase === 'voice' && listIndex) writer.voice(page.value, listIndex);
        if (phase === 'numbers' && listIndex) writer.numbers(page.value, listIndex);
        if (phase === 'voice' || phase === 'numbers')
          listed.add(page.value.map((entry) => String(phase === 'voice' ? entry.id : entry.telephoneNumber)));
        run.pages += 1;

        if (following) {
          run.next = following;
          if (
            writer.pendingWrites >= (this.deps.writesPerFlush ?? writesPerFlush) ||
            listed.due ||
            Date.now() - lastCheckpoint > checkpointEveryMs
          )
            await checkpoint(true);
          continue;
        }
        // The phase is complete: store it, remove what a full enumeration did not see, then keep the delta link.
        await checkpoint();
        if (run.fullPhase && phase === 'users') await writer.sweep('user', String(run.generation));
        if (run.fullPhase && phase === 'groups') {
          await writer.sweep('group', String(run.generation));
          await writer.sweep('member', String(run.generation));
        }
        if ((phase === 'voice' || phase === 'numbers') && listIndex)
          writer.sweepListed(phase === 'voice' ? 'voice' : 'number', listIndex);
        await checkpoint();
        listIndex = undefined;
        if ((phase === 'users' || phase === 'groups') && page['@odata.deltaLink'])
          state[deltaKey] = page['@odata.deltaLink'];
        run.phase = nextPhase[phase];
        run.next = undefined;
        run.fullPhase = false;
        await save();
        if (phase === 'voice' || phase === 'numbers') await listed.forget(phase);
      }
    } finally {
      // A flush still under way ends before the lease is given up.
      await storing.catch(() => undefined);
    }
    return this.complete(job, run, counts);
  }

  /** Whether a run is queued or running and has made progress lately (a run silent that long is abandoned). */
  private async isActive(tenantId: string, runId: string): Promise<boolean> {
    const other = (await this.deps.tenants.get(tenantId, runRowKey(runId)))?.entity;
    return (
      other !== undefined &&
      ['queued', 'running'].includes(String(other.status)) &&
      Date.now() - Date.parse(String(other.updatedAt)) < 2 * leaseMs
    );
  }

  /** Ends the tenant's active run if it is this one, in the transaction that ends the run. */
  private async endActive(transaction: TableTransaction, tenantId: string, runId: string): Promise<void> {
    const state = (await this.deps.tenants.get(tenantId, replicationStateRowKey))?.entity;
    if (state?.activeRun === runId) transaction.merge({ rowKey: replicationStateRowKey, activeRun: '' });
  }

  private async complete(
    job: ReplicationJob,
    run: ReplicationRunRecord,
    counts: RunCounts,
  ): Promise<WorkOutcome> {
    const stored = await this.deps.tenants.get(job.tenantId, runRowKey(run.runId));
    const finished = {
      ...(stored?.entity ?? {}),
      status: 'completed',
      finishedAt: new Date().toISOString(),
      counts: JSON.stringify(counts),
    };
    const event: DomainEvent = {
      type: 'replication.completed',
      data: {
        tenantId: job.tenantId,
        runId: run.runId,
        counts: counts as unknown as Record<string, number>,
        cursor: String((finished as Record<string, unknown>).cursor ?? ''),
      },
    };
    const transaction = this.deps.tenants
      .transaction(job.tenantId)
      .update({ ...finished, rowKey: runRowKey(run.runId) }, stored?.etag ?? '*');
    await this.endActive(transaction, job.tenantId, run.runId);
    this.deps.outbox.stage(transaction, [event]);
    await transaction.commit();
    await this.deps.outbox.kick(job.tenantId);
    return 'completed';
  }

  /** Ends a run as failed, once, and tells the core (no retry: the message is done). */
  async fail(job: ReplicationJob, run: ReplicationRunRecord, reason: string): Promise<WorkOutcome> {
    const stored = await this.deps.tenants.get(job.tenantId, runRowKey(run.runId));
    if (!stored || ['completed', 'failed', 'skipped'].includes(String(stored.entity.status)))
      return 'already_done';
    const transaction = this.deps.tenants.transaction(job.tenantId).update(
      {
        ...stored.entity,
        rowKey: runRowKey(run.runId),
        status: 'failed',
        reason,
        finishedAt: new Date().toISOString(),
      },
      stored.etag,
    );
    await this.endActive(transaction, job.tenantId, run.runId);
    this.deps.outbox.stage(transaction, [
      { type: 'replication.failed', data: { tenantId: job.tenantId, runId: run.runId, reason } },
    ]);
    await transaction.commit();
    await this.deps.outbox.kick(job.tenantId);
    this.deps.log(`${job.tenantId}: replication run ${run.runId} failed: ${reason}`);
    return 'failed';
  }
}

function addCounts(counts: RunCounts, { counts: flushed, transactions }: Flushed): void {
  counts.usersUpserted += flushed.user.upserted;
  counts.usersDeleted += flushed.user.deleted;
  counts.groupsUpserted += flushed.group.upserted;
  counts.groupsDeleted += flushed.group.deleted;
  counts.membersAdded += flushed.member.upserted;
  counts.membersRemoved += flushed.member.deleted;
  counts.voiceUpdated += flushed.voice.upserted;
  counts.voiceRemoved += flushed.voice.deleted;
  counts.numbersUpserted += flushed.number.upserted;
  counts.numbersDeleted += flushed.number.deleted;
  counts.transactions += transactions;
}
