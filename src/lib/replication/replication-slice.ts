import { type GraphClient, GraphError } from '../graph/graph-client.js';
import { instanceName } from '../hosting/instance-name.js';
import type { Logger } from '../hosting/logger.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import { nextFeedBase } from './change-feed.js';
import { crossesThreshold, type DeletionThreshold, describeThreshold } from './deletion-threshold.js';
import { changesIn } from './replica-flush.js';
import { markSeen, type SealedWrites, writesPerFlush } from './replica-planner.js';
import type { ReplicaStore } from './replica-store.js';
import { objectKinds, replicatedKinds } from './replicated-kinds.js';
import { LeaseLost } from './replication-errors.js';
import { firstListUrl, followingPage, listEndConfirmed, phases } from './replication-phases.js';
import {
  addFlushed,
  emptyCounts,
  type ReplicationRunRecord,
  type ReplicationState,
  type RunCounts,
  runCountNames,
} from './replication-run.js';
import {
  leadingPhase,
  type PageAhead,
  pagesRead,
  ReplicationStream,
  type StreamPositions,
  streamPositions,
} from './replication-stream.js';
import type { SavedIdsRow } from './run-saved-ids.js';
import { SeenKeys } from './seen-keys.js';

export interface ReplicationJob {
  tenantId: string;
  runId: string;
}

type Page = { value: Record<string, unknown>[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };

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

/** How one stream's part of a slice ended: its phase is done, it stopped (time up, or another stream stopped). */
type StreamEnd = { outcome: 'done' } | { outcome: 'paused' } | Extract<SliceEnd, { outcome: 'waiting' }>;

/**
 * How much a stream holds of pages fetched ahead while stored state is read, in characters of their JSON (20 M:
 * some 450 pages of a groups enumeration, 200 of users), so a re-enumeration's reads of storage overlap Graph's
 * pages within the memory a 100,000-user tenant leaves (bench:replication at 100,000 users: 1.13x to 1.24x the
 * fetch floor, peak RSS 241 to 280 MB; with 12 M, 1.33x and 244 MB).
 */
const readAheadChars = 20 * 1024 * 1024;

/** Progress is saved at least this often (each save stores what was planned first). */
const checkpointEveryMs = 5_000;

/** What a run waits for while Graph throttles its tenant (the fleet status counts runs by it). */
export const throttledReason = 'Microsoft Graph throttled the tenant (429)';

/** What a run waits for when Graph keeps answering with `error`. */
function graphFault(error: GraphError): string {
  if (error.status === 429) return throttledReason;
  if (error.status === 0) return 'Microsoft Graph could not be reached';
  return `Microsoft Graph was unavailable (${error.status} ${error.graphCode})`;
}

const isExpiredDelta = (error: unknown) =>
  error instanceof GraphError &&
  (error.status === 410 ||
    ['syncStateNotFound', 'resyncRequired', 'syncStateInvalid'].includes(error.graphCode));

/**
 * One invocation's work on a run: follows the tenant's streams (replication-phases.ts: users delta, groups delta,
 * Teams configurations, numbers) side by side, under the tenant's one Graph budget, until they are all done or
 * the slice's time is up. Each stream plans into its own planner; a checkpoint seals what all of them planned into
 * one flush (one writer per tenant, so the feed's positions keep their order) and then saves every stream's
 * position as of that seal: nothing planned is ever skipped. A delta link is saved only after the changes it
 * covers are stored; an expired delta link starts a full enumeration, whose unseen rows are removed only once it
 * completed; whole lists remove what they no longer show.
 */
export class ReplicationSlice {
  readonly counts: RunCounts;
  private readonly run: ReplicationRunRecord;
  private readonly state: ReplicationState;
  private readonly streams: ReplicationStream[];
  /** The streams' positions as of the last seal: what a save may write (all it covers is stored before). */
  private sealedPositions: StreamPositions;
  /** The flush and save under way; one at a time, in the order they were sealed. */
  private storing: Promise<void> = Promise.resolve();
  /** Checkpoints and saves take turns here, so no planner is sealed twice before its last seal was stored. */
  private gate: Promise<void> = Promise.resolve();
  /** A checkpoint streams asked for in the background that has not sealed yet. */
  private waitingCheckpoint: Promise<void> | undefined;
  private lastCheckpoint = Date.now();
  /** A stream failed, must wait out Graph or lost the lease: the others stop at their next page. */
  private stopping = false;

  constructor(private readonly c: SliceContext) {
    this.run = c.run;
    this.state = c.state;
    this.counts = { ...emptyCounts(), ...JSON.parse(c.run.counts) };
    const positions = streamPositions(c.run);
    const context = { tenants: c.tenants, replica: c.replica, tenantId: c.job.tenantId, runId: c.run.runId };
    this.streams = phases.map(
      (phase) => new ReplicationStream(phase, { ...positions[phase.name as keyof StreamPositions] }, context),
    );
    this.sealedPositions = this.livePositions();
  }

  /**
   * Works until the run is done, the slice's time is up (its continuation queued), or Graph keeps failing or
   * throttling (what was planned is stored and the positions saved, for the worker to wait out).
   */
  async work(): Promise<SliceEnd> {
    const { run } = this;
    const { waitingSince, waitingFor } = run;
    run.status = 'running';
    run.startedAt ??= new Date().toISOString();
    run.slices += 1;
    run.instance = instanceName;
    await this.save();
    if (await this.finishUnsettledFlush()) await this.save();
    try {
      const ends = await Promise.allSettled(
        this.streams.filter((stream) => !stream.position.done).map((stream) => this.follow(stream)),
      );
      const failed = ends.find((end) => end.status === 'rejected');
      if (failed) throw failed.reason;
      const outcomes = ends.map((end) => (end as PromiseFulfilledResult<StreamEnd>).value);
      const waiting = outcomes.find((end) => end.outcome === 'waiting');
      if (waiting) {
        // Pages other streams read meanwhile do not end the wait: the run waits for the stream that stopped.
        Object.assign(run, { waitingSince, waitingFor });
        await this.checkpoint();
        return waiting;
      }
      if (outcomes.some((end) => end.outcome === 'paused')) {
        await this.checkpoint();
        await this.c.queue.send(this.c.job);
        return { outcome: 'continued' };
      }
      return { outcome: 'done' };
    } finally {
      // A flush still under way ends before the lease is given up.
      await this.storing.catch(() => undefined);
    }
  }

  /** Follows one stream page by page until its phase is done or it must stop. */
  private async follow(stream: ReplicationStream): Promise<StreamEnd> {
    const { phase } = stream;
    try {
      if (phase.source === 'list' && phase.globalOnly && !this.c.teamsApis) {
        await this.skipPhase(stream);
        return { outcome: 'done' };
      }
      let firstPage = true;
      while (!stream.position.done) {
        this.checkLease();
        if (this.stopping || (!firstPage && Date.now() - this.c.started > this.c.sliceMs))
          return { outcome: 'paused' };
        firstPage = false;
        let fetched: Awaited<ReturnType<ReplicationSlice['fetch']>>;
        try {
          fetched = await this.fetch(stream);
        } catch (error) {
          if (!(error instanceof GraphError) || !error.transient) throw error;
          this.stopping = true;
          return { outcome: 'waiting', reason: graphFault(error), retryAfterMs: error.retryAfterMs };
        }
        if (!fetched) continue;
        const { page, following } = fetched;
        this.run.waitingSince = undefined;
        this.run.waitingFor = undefined;
        await this.plan(stream, page);
        stream.position.pages += 1;
        if (following) {
          stream.position.next = following;
          if (this.flushDue()) await this.checkpoint(true);
        } else if (!(await this.finishPhase(stream, page))) return { outcome: 'paused' };
      }
      return { outcome: 'done' };
    } catch (error) {
      this.stopping = true;
      throw error;
    } finally {
      stream.stopped();
    }
  }

  /** What the streams planned is due to be stored: enough writes, a whole list's ids to save, or time. */
  private flushDue(): boolean {
    const pending = this.streams.reduce((sum, stream) => sum + stream.planner.pendingWrites, 0);
    return (
      pending >= (this.c.writesPerFlush ?? writesPerFlush) ||
      // A full enumeration's marks wait in the planner until a checkpoint: pages planned in a burst (fetched ahead
      // while the stored state was read) must not make one saved row past an entity's 1 MiB.
      this.streams.some((stream) => stream.listed.due() || stream.seen.due(stream.planner.seenMarkChars)) ||
      Date.now() - this.lastCheckpoint > checkpointEveryMs
    );
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
   * The stream's next page (fetched ahead while the last was stored) and where the one after it is, or none when
   * its delta link expired.
   */
  private async fetch(stream: ReplicationStream): Promise<{ page: Page; following?: string } | undefined> {
    const { phase, position } = stream;
    if (position.next && !stream.replayed) {
      // Resuming a phase: the removals its earlier slices held back are still to be decided.
      const saved: string[] = [];
      for await (const entry of stream.deferredIds.saved(phase.name)) saved.push(entry);
      stream.planner.replayDeferrals(saved);
    }
    stream.replayed = true;
    const url = phase.source === 'list' ? await this.startList(stream) : await this.startDelta(stream);
    let page: Page;
    try {
      const head = stream.ahead[0];
      if (head?.url === url) this.takeAhead(stream);
      else this.dropAhead(stream);
      page = await (head?.url === url ? head.page : this.c.graph.get<Page>(this.c.token, url));
    } catch (error) {
      if (phase.source === 'list' || !isExpiredDelta(error)) throw error;
      this.c.log.info(
        `${this.c.job.tenantId}: ${phase.name} delta link expired; enumerating everything again`,
      );
      await this.checkpoint();
      // An enumeration that expired part way starts again: what it saw then is no proof now.
      await stream.seen.forget(phase.name);
      this.state[phase.deltaLink] = undefined;
      this.movePosition(stream, { pages: position.pages, fullPhase: true });
      await this.save();
      return undefined;
    }
    const following = followingPage(phase, url, page, this.listPageSize(stream));
    // Fetch the next page while this one is stored (unless it is fetched ahead already).
    if (following && stream.ahead.length === 0) this.fetchAhead(stream, following);
    return { page, following };
  }

  /**
   * Fetches a page ahead; a failure surfaces when it is awaited. While the stream's stored state is read (a full
   * enumeration's comparison), each page fetched ahead fetches the next, up to the stream's read-ahead budget, so
   * Graph's pages come while storage is read instead of after.
   */
  private fetchAhead(stream: ReplicationStream, url: string): void {
    const entry: PageAhead = { url, page: this.c.graph.get<Page>(this.c.token, url), chars: 0 };
    stream.ahead.push(entry);
    entry.page.then(
      (fetched) => {
        if (!stream.comparing || stream.closed || stream.ahead.at(-1) !== entry) return;
        entry.chars = JSON.stringify(fetched).length;
        stream.aheadChars += entry.chars;
        const next = followingPage(stream.phase, url, fetched, this.listPageSize(stream));
        if (next && stream.aheadChars < readAheadChars) this.fetchAhead(stream, next);
      },
      () => undefined,
    );
  }

  private takeAhead(stream: ReplicationStream): void {
    const taken = stream.ahead.shift();
    stream.aheadChars -= taken?.chars ?? 0;
  }

  private dropAhead(stream: ReplicationStream): void {
    stream.ahead = [];
    stream.aheadChars = 0;
  }

  private listPageSize({ phase }: ReplicationStream): number {
    if (phase.source !== 'list') return Number.POSITIVE_INFINITY;
    return Math.min(this.c.listPageSize ?? phase.paging.top, phase.paging.top);
  }

  /** Where a delta phase goes on; a full enumeration (no delta link yet) compares with what is stored. */
  private async startDelta(stream: ReplicationStream): Promise<string> {
    const { phase, position } = stream;
    if (phase.source !== 'delta') throw new TypeError(`${phase.name} is not a delta phase`);
    if (!position.next && !this.state[phase.deltaLink]) position.fullPhase = true;
    if (position.fullPhase && !stream.comparedFully) {
      // What is stored, read at once (nothing for a first sync): compared with every page of the enumeration.
      // Pages are fetched ahead meanwhile; planning waits for it.
      stream.comparedFully = true;
      stream.comparing = true;
      const generation = String(this.run.generation);
      stream.comparison = (async () => {
        try {
          for (const kind of phase.kinds) await stream.planner.prepareFullComparison(kind, generation);
        } finally {
          stream.comparing = false;
        }
      })();
      stream.comparison.catch(() => undefined);
    }
    return position.next ?? this.state[phase.deltaLink] ?? phase.firstUrl;
  }

  /** Where a list phase goes on, with the index of what is stored (less what earlier slices saw listed). */
  private async startList(stream: ReplicationStream): Promise<string> {
    const { phase, position } = stream;
    if (phase.source !== 'list') throw new TypeError(`${phase.name} is not a list phase`);
    position.fullPhase = true;
    if (!stream.listIndex) {
      stream.listIndex = await this.c.replica.fieldIndex(this.c.job.tenantId, phase.kind, 'hash');
      if (position.next)
        for await (const id of stream.listed.saved(phase.name)) markSeen(stream.listIndex, id);
    }
    return position.next ?? firstListUrl(phase, this.listPageSize(stream));
  }

  private async plan(stream: ReplicationStream, page: Page): Promise<void> {
    const { phase, position } = stream;
    if (phase.source === 'delta') {
      await stream.comparison;
      await phase.plan(
        stream.planner,
        page.value,
        position.fullPhase ? String(this.run.generation) : undefined,
      );
      return;
    }
    if (!stream.listIndex) return;
    const items = page.value.map((entry) => ({ id: phase.id(entry), fields: phase.fields(entry) }));
    stream.planner.list(phase.kind, items, stream.listIndex);
    stream.listed.add(items.map((item) => item.id));
  }

  /**
   * The phase's last page is planned: store it, find what is gone, decide whether its removals may be stored,
   * keep the delta link (not when its removals are held: the next run must see them again), end the stream.
   * Phases decide in their order, so a hold that begins in one holds the removals of the phases after it: a phase
   * that ends before an earlier one decided waits for it, and if that one stops short in this slice, so does this
   * one (it reads its last page again in the next slice). Returns whether the phase ended.
   */
  private async finishPhase(stream: ReplicationStream, page: Page): Promise<boolean> {
    const { phase, position } = stream;
    await this.checkpoint();
    if (phase.source === 'delta' && position.fullPhase) {
      const seen = new SeenKeys();
      for await (const mark of stream.seen.saved(phase.name)) seen.add(mark);
      for (const kind of phase.kinds) await stream.planner.sweep(kind, String(this.run.generation), seen);
    }
    if (phase.source === 'list' && stream.listIndex) {
      if (listEndConfirmed(page, this.listPageSize(stream)))
        stream.planner.sweepListed(phase.kind, stream.listIndex);
      else
        this.note(
          `${phase.name}: the list ended on a full page without a next link, so nothing it did not show was removed`,
        );
    }
    for (const earlier of this.streams.slice(0, this.streams.indexOf(stream)))
      if ((await earlier.settled) === 'stopped') return false;
    const held = await this.holdOrRelease(stream);
    await this.checkpoint();
    stream.decided();
    stream.listIndex = undefined;
    if (phase.source === 'delta' && page['@odata.deltaLink'] && !held)
      this.state[phase.deltaLink] = page['@odata.deltaLink'];
    this.movePosition(stream, { pages: position.pages, done: true });
    await this.save();
    if (phase.source === 'list') await stream.listed.forget(phase.name);
    else await stream.seen.forget(phase.name);
    await stream.deferredIds.forget(phase.name);
    return true;
  }

  /**
   * The accidental-delete check, at the end of each phase: the removals it held back are stored unless, with
   * what the run removed already, the objects among them (users, groups, Teams configurations, numbers; not
   * memberships, which are links between objects) cross the threshold, or the run is holding already. A release
   * run stores them all. Returns whether they were held.
   */
  private async holdOrRelease({ phase, planner }: ReplicationStream): Promise<boolean> {
    const deferred = planner.deferredCounts();
    const removals = Object.values(deferred).reduce((sum, n) => sum + n, 0);
    if (removals === 0) return false;
    const { run, counts } = this;
    const objects = objectKinds
      .filter((kind) => replicatedKinds[kind].countsAgainstDeleteThreshold)
      .reduce((sum, kind) => sum + deferred[kind] + counts[runCountNames[kind].deleted], 0);
    const hold =
      !run.releaseOf &&
      (run.held !== undefined ||
        (await crossesThreshold(this.c.deletionThreshold, objects, () =>
          this.c.replica.rowCount(this.c.job.tenantId),
        )));
    if (!hold) {
      await planner.releaseDeferred();
      return false;
    }
    planner.discardDeferred();
    const held: Record<string, number> = run.held ? JSON.parse(run.held) : {};
    for (const [kind, n] of Object.entries(deferred)) if (n > 0) held[kind] = (held[kind] ?? 0) + n;
    run.held = JSON.stringify(held);
    const kinds = objectKinds
      .filter((kind) => (deferred[kind] ?? 0) > 0)
      .map((kind) => `${replicatedKinds[kind].apiName} ${deferred[kind]}`)
      .join(', ');
    this.note(
      `${phase.name}: ${removals} removal(s) held (${kinds}), more than ${describeThreshold(this.c.deletionThreshold)} in one run; release the run to store them`,
    );
    return true;
  }

  /** A phase this cloud's Graph cannot serve: nothing read, nothing removed, and the run says so. */
  private async skipPhase(stream: ReplicationStream): Promise<void> {
    this.note(
      `${stream.phase.name}: Microsoft Graph has no such endpoint in this cloud (the global service only); skipped`,
    );
    stream.decided();
    this.movePosition(stream, { pages: stream.position.pages, done: true });
    await this.save();
  }

  /** Keeps a sentence for the operator in the run (once), and logs it. */
  private note(text: string): void {
    const notes: string[] = this.run.notes ? JSON.parse(this.run.notes) : [];
    if (!notes.includes(text)) this.run.notes = JSON.stringify([...notes, text]);
    this.c.log.warn(`${this.c.job.tenantId}: ${text}`);
  }

  private livePositions(): StreamPositions {
    return Object.fromEntries(
      this.streams.map((stream) => [stream.name, { ...stream.position }]),
    ) as StreamPositions;
  }

  /**
   * Moves a stream whose planned writes are all stored (it just checkpointed and plans nothing meanwhile) to a
   * new position, which the next save may write at once.
   */
  private movePosition(stream: ReplicationStream, position: ReplicationStream['position']): void {
    stream.position = position;
    this.sealedPositions = { ...this.sealedPositions, [stream.name]: { ...position } };
  }

  /**
   * Saves the run at the streams' positions as of the last seal (whose writes are stored by then), the tenant's
   * replication state and the given rows, together.
   */
  private async save(savedRows: (SavedIdsRow & { rowKey: string })[] = []): Promise<void> {
    await this.takeTurn(() => this.write(this.sealedPositions, savedRows));
    await this.storing;
  }

  /**
   * Stores what every stream planned, then saves the positions past it: nothing planned is ever skipped. In the
   * background, the streams fetch and plan meanwhile; one flush at a time, so at most two batches wait.
   */
  private async checkpoint(background = false): Promise<void> {
    // Streams that find a flush due while one waits for its turn join it: it seals what all of them planned.
    if (background && this.waitingCheckpoint) return this.waitingCheckpoint;
    const turn = this.takeTurn(() => {
      if (this.waitingCheckpoint === turn) this.waitingCheckpoint = undefined;
      const positions = this.livePositions();
      const savedAt = new Date().toISOString();
      const savedRows: (SavedIdsRow & { rowKey: string })[] = [];
      const sealed: SealedWrites[] = [];
      for (const stream of this.streams) {
        stream.deferredIds.add(stream.planner.takeDeferralLog());
        stream.seen.add(stream.planner.takeSeenMarks());
        if (!stream.position.done) {
          const { name, position } = stream;
          for (const ids of [stream.listed, stream.seen, stream.deferredIds]) {
            const row = ids.take(name, position.pages, savedAt);
            if (row) savedRows.push(row);
          }
        }
        sealed.push(stream.planner.seal());
      }
      this.sealedPositions = positions;
      this.lastCheckpoint = Date.now();
      return this.store(sealed, positions, savedRows);
    });
    if (background) this.waitingCheckpoint = turn;
    await turn;
    if (!background) await this.storing;
  }

  /**
   * Runs `start` once every earlier checkpoint or save has started and the one before it is stored, and makes
   * what it starts the one under way.
   */
  private async takeTurn(start: () => Promise<void>): Promise<void> {
    const turn = this.gate.then(async () => {
      await this.storing;
      this.storing = start();
      // Its failure surfaces where it is awaited (the next turn, or the slice's end).
      this.storing.catch(() => undefined);
    });
    this.gate = turn.catch(() => undefined);
    await turn;
  }

  private async store(
    sealed: SealedWrites[],
    positions: StreamPositions,
    savedRows: (SavedIdsRow & { rowKey: string })[],
  ): Promise<void> {
    try {
      this.checkLease();
      const writes = sealed.flatMap((batch) => batch.writes);
      if (writes.length > 0) {
        const flushed = await this.c.replica.flush(this.c.job.tenantId, writes, this.run.feedBase ?? '');
        addFlushed(this.counts, flushed);
        if (flushed.lastSeq) this.run.cursor = flushed.lastSeq;
        this.run.feedBase = nextFeedBase(this.run.feedBase);
        this.state.feedBase = this.run.feedBase;
      }
    } finally {
      for (const batch of sealed) batch.release();
    }
    await this.write(positions, savedRows);
  }

  /**
   * Writes the run at `positions`, the tenant's replication state and what whole lists showed and phases held
   * back since the last save, together (one partition, one transaction).
   */
  private async write(positions: StreamPositions, savedRows: (SavedIdsRow & { rowKey: string })[]) {
    const requests = this.c.takeRequests();
    this.run.requests += requests;
    const { next: _next, fullPhase: _fullPhase, ...run } = this.run;
    const transaction = this.c.tenants
      .transaction(this.c.job.tenantId)
      .upsert({
        ...run,
        rowKey: tenantRows.run(this.run.runId),
        phase: leadingPhase(positions),
        pages: pagesRead(positions),
        streams: JSON.stringify(positions),
        counts: JSON.stringify(this.counts),
        updatedAt: new Date().toISOString(),
      })
      .upsert({ ...this.state, rowKey: tenantRows.replicationState });
    for (const row of savedRows) transaction.upsert(row);
    await transaction.commit();
  }
}
