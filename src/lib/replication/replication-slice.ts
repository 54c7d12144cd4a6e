import { type GraphClient, GraphError } from '../graph/graph-client.js';
import type { Logger } from '../hosting/logger.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import { nextFeedBase } from './change-feed.js';
import { crossesThreshold, type DeletionThreshold, describeThreshold } from './deletion-threshold.js';
import { changesIn } from './replica-flush.js';
import { markSeen, ReplicaPlanner, type SeenIndex, writesPerFlush } from './replica-planner.js';
import type { ReplicaStore } from './replica-store.js';
import { LeaseLost } from './replication-errors.js';
import {
  firstListUrl,
  followingPage,
  type ListPhase,
  listEndConfirmed,
  type Phase,
  phaseAfter,
  phaseNamed,
} from './replication-phases.js';
import {
  addFlushed,
  emptyCounts,
  type ReplicationRunRecord,
  type ReplicationState,
  type RunCounts,
  runCountNames,
} from './replication-run.js';
import { RunSavedIds, type SavedIdsRow } from './run-saved-ids.js';

export interface ReplicationJob {
  tenantId: string;
  runId: string;
}

type Page = { value: Record<string, unknown>[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };
type Position = Pick<ReplicationRunRecord, 'phase' | 'next' | 'fullPhase' | 'pages'>;

export interface SliceContext {
  job: ReplicationJob;
  /** The run as stored when the slice began; the slice moves it on. */
  run: ReplicationRunRecord;
  /** The tenant's delta links and feed base, as stored when the slice began. */
  state: ReplicationState;
  tenants: TenantTable;
  replica: ReplicaStore;
  queue: MessageQueue<ReplicationJob>;
  graph: GraphClient;
  token: string;
  /** Graph requests made since they were last counted into the run. */
  takeRequests: () => number;
  /** When the invocation began, and how long it may work. */
  started: number;
  sliceMs: number;
  writesPerFlush?: number;
  /** The `$top` a list paged by `$skip` asks for (at most, and by default, its documented maximum). */
  listPageSize?: number;
  /** Removals one run may store before it holds them for an operator. */
  deletionThreshold: DeletionThreshold;
  /** The cloud's Graph has the Teams telephony endpoints; without them those phases are skipped. */
  teamsApis: boolean;
  /** Whether the tenant's lease was taken over (this worker must stop at once). */
  leaseLost: () => boolean;
  log: Logger;
}

/** How a slice ended: the run is done, its continuation is queued, or it must wait out Graph for a while. */
export type SliceEnd =
  | { outcome: 'done' }
  | { outcome: 'continued' }
  | { outcome: 'waiting'; reason: string; retryAfterMs?: number };

/** Progress is saved at least this often (each save stores what was planned first). */
const checkpointEveryMs = 5_000;

/** What a run waits for when Graph keeps answering with `error`. */
function graphFault(error: GraphError): string {
  if (error.status === 429) return 'Microsoft Graph throttled the tenant (429)';
  if (error.status === 0) return 'Microsoft Graph could not be reached';
  return `Microsoft Graph was unavailable (${error.status} ${error.graphCode})`;
}

const isExpiredDelta = (error: unknown) =>
  error instanceof GraphError &&
  (error.status === 410 ||
    ['syncStateNotFound', 'resyncRequired', 'syncStateInvalid'].includes(error.graphCode));

/**
 * One invocation's work on a run: pages through the phases (replication-phases.ts) until the run is done or the
 * slice's time is up. What it plans is stored before the position past it is checkpointed; a delta link is saved
 * only after the changes it covers are stored; an expired delta link starts a full enumeration, whose unseen rows
 * are removed only once it completed; whole lists remove what they no longer show.
 */
export class ReplicationSlice {
  readonly counts: RunCounts;
  private readonly run: ReplicationRunRecord;
  private readonly state: ReplicationState;
  private readonly planner: ReplicaPlanner;
  private readonly listed: RunSavedIds;
  /** Removals the current phase held back, saved with each checkpoint so a later slice finds them. */
  private readonly deferredIds: RunSavedIds;
  private readonly replayed = new Set<Phase['name']>();
  private storing: Promise<void> = Promise.resolve();
  private lastCheckpoint = Date.now();
  /** A whole list is compared with an index of what is stored, read once per slice. */
  private listIndex: SeenIndex | undefined;
  private readonly comparedFully = new Set<Phase['name']>();
  private prefetched: { url: string; page: Promise<Page> } | undefined;

  constructor(private readonly c: SliceContext) {
    this.run = c.run;
    this.state = c.state;
    this.counts = { ...emptyCounts(), ...JSON.parse(c.run.counts) };
    this.planner = new ReplicaPlanner(c.replica, c.job.tenantId);
    this.listed = new RunSavedIds(c.tenants, c.job.tenantId, c.run.runId, 'listed');
    this.deferredIds = new RunSavedIds(c.tenants, c.job.tenantId, c.run.runId, 'deferred');
  }

  /**
   * Works until the run is done, the slice's time is up (its continuation queued), or Graph keeps failing or
   * throttling (what was planned is stored and the position saved, for the worker to wait out).
   */
  async work(): Promise<SliceEnd> {
    const { run } = this;
    run.status = 'running';
    run.startedAt ??= new Date().toISOString();
    run.slices += 1;
    await this.save();
    if (await this.finishUnsettledFlush()) await this.save();
    let firstPage = true;
    try {
      while (run.phase !== 'done') {
        this.checkLease();
        if (!firstPage && Date.now() - this.c.started > this.c.sliceMs) {
          await this.checkpoint();
          await this.c.queue.send(this.c.job);
          return { outcome: 'continued' };
        }
        firstPage = false;
        const phase = phaseNamed(run.phase);
        if (phase.source === 'list' && phase.globalOnly && !this.c.teamsApis) {
          await this.skipPhase(phase);
          continue;
        }
        let fetched: Awaited<ReturnType<ReplicationSlice['fetch']>>;
        try {
          fetched = await this.fetch(phase);
        } catch (error) {
          if (!(error instanceof GraphError) || !error.transient) throw error;
          await this.checkpoint();
          return { outcome: 'waiting', reason: graphFault(error), retryAfterMs: error.retryAfterMs };
        }
        if (!fetched) continue;
        const { page, following } = fetched;
        run.waitingSince = undefined;
        run.waitingFor = undefined;
        await this.plan(phase, page);
        run.pages += 1;
        if (following) {
          run.next = following;
          if (
            this.planner.pendingWrites >= (this.c.writesPerFlush ?? writesPerFlush) ||
            this.listed.due ||
            Date.now() - this.lastCheckpoint > checkpointEveryMs
          )
            await this.checkpoint(true);
        } else await this.finishPhase(phase, page);
      }
    } finally {
      // A flush still under way ends before the lease is given up.
      await this.storing.catch(() => undefined);
    }
    return { outcome: 'done' };
  }

  /** Stops the slice once another worker took the tenant's lease over (this one stalled past its term). */
  private checkLease(): void {
    if (this.c.leaseLost()) throw new LeaseLost(this.c.job.tenantId);
  }

  /**
   * A flush cut short (its changes stored, not its checkpoint: the worker died) is finished from the feed before
   * anything else, and counted here, once: its rows are written as its changes say, so planning again from the
   * last checkpoint finds them stored and reports nothing twice, and the tenant's next base moves past it, so
   * nothing overwrites it. Then the run's flushes take positions after every stored one.
   */
  private async finishUnsettledFlush(): Promise<boolean> {
    const { run, state } = this;
    const finished = await this.c.replica.finishUnsettled(this.c.job.tenantId, state.feedBase);
    for (const flushed of finished) {
      addFlushed(this.counts, flushed);
      run.cursor = flushed.lastSeq;
      state.feedBase = nextFeedBase(flushed.base);
    }
    if (finished.length > 0) {
      const changes = finished.reduce((sum, flushed) => sum + changesIn(flushed.counts), 0);
      this.note(`stored the rows of ${changes} change(s) a flush cut short had reported; counted once`);
    }
    const moved = !run.feedBase || (state.feedBase !== undefined && state.feedBase > run.feedBase);
    if (moved) run.feedBase = nextFeedBase(state.feedBase);
    return finished.length > 0 || moved;
  }

  /**
   * The phase's next page (fetched ahead while the last was stored) and where the one after it is, or none when
   * its delta link expired.
   */
  private async fetch(phase: Phase): Promise<{ page: Page; following?: string } | undefined> {
    if (this.run.next && !this.replayed.has(phase.name)) {
      // Resuming a phase: the removals its earlier slices held back are still to be decided.
      const saved: string[] = [];
      for await (const entry of this.deferredIds.saved(phase.name)) saved.push(entry);
      this.planner.replayDeferrals(saved);
    }
    this.replayed.add(phase.name);
    const url = phase.source === 'list' ? await this.startList(phase) : await this.startDelta(phase);
    let page: Page;
    try {
      const ahead = this.prefetched?.url === url ? this.prefetched.page : undefined;
      this.prefetched = undefined;
      page = await (ahead ?? this.c.graph.get<Page>(this.c.token, url));
    } catch (error) {
      if (phase.source === 'list' || !isExpiredDelta(error)) throw error;
      this.c.log.info(
        `${this.c.job.tenantId}: ${phase.name} delta link expired; enumerating everything again`,
      );
      await this.checkpoint();
      this.state[phase.deltaLink] = undefined;
      this.run.next = undefined;
      this.run.fullPhase = true;
      await this.save();
      return undefined;
    }
    const following = followingPage(phase, url, page, this.listPageSize(phase));
    if (following) {
      // Fetch the next page while this one is stored; a failure surfaces when it is awaited.
      const ahead = this.c.graph.get<Page>(this.c.token, following);
      ahead.catch(() => undefined);
      this.prefetched = { url: following, page: ahead };
    }
    return { page, following };
  }

  private listPageSize(phase: Phase): number {
    if (phase.source !== 'list') return Number.POSITIVE_INFINITY;
    return Math.min(this.c.listPageSize ?? phase.paging.top, phase.paging.top);
  }

  /** Where a delta phase goes on; a full enumeration (no delta link yet) compares with what is stored. */
  private async startDelta(phase: Phase & { source: 'delta' }): Promise<string> {
    const { run, state } = this;
    if (!run.next && !state[phase.deltaLink]) run.fullPhase = true;
    if (run.fullPhase && !this.comparedFully.has(phase.name)) {
      // A first sync has nothing to compare with: no reads.
      this.comparedFully.add(phase.name);
      for (const kind of phase.kinds) await this.planner.checkEmpty(kind);
    }
    return run.next ?? state[phase.deltaLink] ?? phase.firstUrl;
  }

  /** Where a list phase goes on, with the index of what is stored (less what earlier slices saw listed). */
  private async startList(phase: ListPhase): Promise<string> {
    const { run } = this;
    run.fullPhase = true;
    if (!this.listIndex) {
      this.listIndex = await this.c.replica.fieldIndex(this.c.job.tenantId, phase.kind, 'hash');
      if (run.next) for await (const id of this.listed.saved(phase.name)) markSeen(this.listIndex, id);
    }
    return run.next ?? firstListUrl(phase, this.listPageSize(phase));
  }

  private async plan(phase: Phase, page: Page): Promise<void> {
    if (phase.source === 'delta') {
      await phase.plan(
        this.planner,
        page.value,
        this.run.fullPhase ? String(this.run.generation) : undefined,
      );
      return;
    }
    if (!this.listIndex) return;
    const items = page.value.map((entry) => ({ id: phase.id(entry), fields: phase.fields(entry) }));
    this.planner.list(phase.kind, items, this.listIndex);
    this.listed.add(items.map((item) => item.id));
  }

  /**
   * The phase's last page is planned: store it, find what is gone, decide whether its removals may be stored,
   * keep the delta link (not when its removals are held: the next run must see them again), move on.
   */
  private async finishPhase(phase: Phase, page: Page): Promise<void> {
    const { run, state } = this;
    await this.checkpoint();
    if (phase.source === 'delta' && run.fullPhase)
      for (const kind of phase.kinds) await this.planner.sweep(kind, String(run.generation));
    if (phase.source === 'list' && this.listIndex) {
      if (listEndConfirmed(page, this.listPageSize(phase)))
        this.planner.sweepListed(phase.kind, this.listIndex);
      else
        this.note(
          `${phase.name}: the list ended on a full page without a next link, so nothing it did not show was removed`,
        );
    }
    const held = await this.decideRemovals(phase);
    await this.checkpoint();
    this.listIndex = undefined;
    if (phase.source === 'delta' && page['@odata.deltaLink'] && !held)
      state[phase.deltaLink] = page['@odata.deltaLink'];
    run.phase = phaseAfter(phase.name);
    run.next = undefined;
    run.fullPhase = false;
    await this.save();
    if (phase.source === 'list') await this.listed.forget(phase.name);
    await this.deferredIds.forget(phase.name);
  }

  /**
   * The accidental-delete check, at the end of each phase: the removals it held back are stored unless, with
   * what the run removed already, the objects among them (users, groups, Teams configurations, numbers; not
   * memberships, which are links between objects) cross the threshold, or the run is holding already. A release
   * run stores them all. Returns whether they were held.
   */
  private async decideRemovals(phase: Phase): Promise<boolean> {
    const deferred = this.planner.deferredCounts();
    const removals = Object.values(deferred).reduce((sum, n) => sum + n, 0);
    if (removals === 0) return false;
    const { run, counts } = this;
    const objects = (['user', 'group', 'voice', 'number'] as const).reduce(
      (sum, kind) => sum + deferred[kind] + counts[runCountNames[kind].deleted],
      0,
    );
    const hold =
      !run.releaseOf &&
      (run.held !== undefined ||
        (await crossesThreshold(this.c.deletionThreshold, objects, () =>
          this.c.replica.rowCount(this.c.job.tenantId),
        )));
    if (!hold) {
      await this.planner.releaseDeferred();
      return false;
    }
    this.planner.discardDeferred();
    const held: Record<string, number> = run.held ? JSON.parse(run.held) : {};
    for (const [kind, n] of Object.entries(deferred)) if (n > 0) held[kind] = (held[kind] ?? 0) + n;
    run.held = JSON.stringify(held);
    this.note(
      `${phase.name}: ${removals} removal(s) held, more than ${describeThreshold(this.c.deletionThreshold)} in one run; release the run to store them`,
    );
    return true;
  }

  /** A phase this cloud's Graph cannot serve: nothing read, nothing removed, and the run says so. */
  private async skipPhase(phase: Phase): Promise<void> {
    this.note(
      `${phase.name}: Microsoft Graph has no such endpoint in this cloud (the global service only); skipped`,
    );
    this.run.phase = phaseAfter(phase.name);
    this.run.next = undefined;
    await this.save();
  }

  /** Keeps a sentence for the operator in the run (once), and logs it. */
  private note(text: string): void {
    const notes: string[] = this.run.notes ? JSON.parse(this.run.notes) : [];
    if (!notes.includes(text)) this.run.notes = JSON.stringify([...notes, text]);
    this.c.log.warn(`${this.c.job.tenantId}: ${text}`);
  }

  private position(): Position {
    const { phase, next, fullPhase, pages } = this.run;
    return { phase, next, fullPhase, pages };
  }

  /**
   * Writes the run, at `at`, the tenant's replication state and what a whole list showed since the last save,
   * together (one partition, one transaction).
   */
  private async save(at = this.position(), savedRows: (SavedIdsRow & { rowKey: string })[] = []) {
    const requests = this.c.takeRequests();
    this.run.requests += requests;
    const transaction = this.c.tenants
      .transaction(this.c.job.tenantId)
      .upsert({
        ...this.run,
        ...at,
        rowKey: tenantRows.run(this.run.runId),
        counts: JSON.stringify(this.counts),
        updatedAt: new Date().toISOString(),
      })
      .upsert({ ...this.state, rowKey: tenantRows.replicationState });
    for (const row of savedRows) transaction.upsert(row);
    await transaction.commit();
  }

  /**
   * Stores what was planned, then saves the position past it: nothing planned is ever skipped. In the
   * background, pages are fetched and planned meanwhile; one flush at a time, so at most two batches wait.
   */
  private async checkpoint(background = false): Promise<void> {
    await this.storing;
    const at = this.position();
    const phase = at.phase === 'done' ? undefined : phaseNamed(at.phase);
    const savedAt = new Date().toISOString();
    this.deferredIds.add(this.planner.takeDeferralLog());
    const savedRows = phase
      ? [
          phase.source === 'list' ? this.listed.take(phase.name, at.pages, savedAt) : undefined,
          this.deferredIds.take(phase.name, at.pages, savedAt),
        ].filter((row) => row !== undefined)
      : [];
    const sealed = this.planner.seal();
    this.storing = (async () => {
      try {
        this.checkLease();
        if (sealed.writes.length > 0) {
          const flushed = await this.c.replica.flush(
            this.c.job.tenantId,
            sealed.writes,
            this.run.feedBase ?? '',
          );
          addFlushed(this.counts, flushed);
          if (flushed.lastSeq) this.run.cursor = flushed.lastSeq;
          this.run.feedBase = nextFeedBase(this.run.feedBase);
          this.state.feedBase = this.run.feedBase;
        }
      } finally {
        sealed.release();
      }
      await this.save(at, savedRows);
    })();
    this.lastCheckpoint = Date.now();
    if (background) this.storing.catch(() => undefined);
    else await this.storing;
  }
}
