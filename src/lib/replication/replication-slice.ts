import { type GraphClient, GraphError } from '../graph/graph-client.js';
import type { Logger } from '../hosting/logger.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import { nextFeedBase } from './change-feed.js';
import { ListedIds, type ListedIdsRow } from './listed-ids.js';
import type { ReplicaStore } from './replica-store.js';
import { markSeen, type ReplicaWriter, type SeenIndex, writesPerFlush } from './replica-writer.js';
import {
  addFlushed,
  emptyCounts,
  type ReplicationPhase,
  type ReplicationRunRecord,
  type ReplicationState,
  type RunCounts,
} from './replication-run.js';

export interface ReplicationJob {
  tenantId: string;
  runId: string;
}

type Page = { value: Record<string, unknown>[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };
type Position = Pick<ReplicationRunRecord, 'phase' | 'next' | 'fullPhase' | 'pages'>;
type ListPhase = 'voice' | 'numbers';

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
  log: Logger;
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

const isExpiredDelta = (error: unknown) =>
  error instanceof GraphError &&
  (error.status === 410 ||
    ['syncStateNotFound', 'resyncRequired', 'syncStateInvalid'].includes(error.graphCode));
const isList = (phase: ReplicationPhase): phase is ListPhase => phase === 'voice' || phase === 'numbers';

/**
 * One invocation's work on a run: pages through the phases (users delta, groups delta with members, Teams user
 * configurations, Direct Routing numbers) until the run is done or the slice's time is up. What it plans is
 * stored before the position past it is checkpointed; a delta link is saved only after the changes it covers
 * are stored; an expired delta link starts a full enumeration, whose unseen rows are removed only once it
 * completed; whole lists remove what they no longer show.
 */
export class ReplicationSlice {
  readonly counts: RunCounts;
  private readonly run: ReplicationRunRecord;
  private readonly state: ReplicationState;
  private readonly writer: ReplicaWriter;
  private readonly listed: ListedIds;
  private storing: Promise<void> = Promise.resolve();
  private lastCheckpoint = Date.now();
  /** A whole list is compared with an index of what is stored, read once per slice. */
  private listIndex: SeenIndex | undefined;
  private readonly comparedFully = new Set<ReplicationPhase>();
  private prefetched: { url: string; page: Promise<Page> } | undefined;

  constructor(private readonly c: SliceContext) {
    this.run = c.run;
    this.state = c.state;
    this.counts = { ...emptyCounts(), ...JSON.parse(c.run.counts) };
    this.writer = c.replica.writer(c.job.tenantId);
    this.listed = new ListedIds(c.tenants, c.job.tenantId, c.run.runId);
    // The run's own feed positions, so a flush repeated after a crash rewrites them; new ones if another run
    // wrote since, so positions keep growing.
    if (!this.run.feedBase || (this.state.feedBase && this.state.feedBase > this.run.feedBase))
      this.run.feedBase = nextFeedBase(this.state.feedBase);
  }

  /** Works until the run is done ('done') or the slice's time is up ('continued', its continuation queued). */
  async work(): Promise<'done' | 'continued'> {
    const { run } = this;
    run.status = 'running';
    run.startedAt ??= new Date().toISOString();
    run.slices += 1;
    await this.save();
    let firstPage = true;
    try {
      while (run.phase !== 'done') {
        if (!firstPage && Date.now() - this.c.started > this.c.sliceMs) {
          await this.checkpoint();
          await this.c.queue.send(this.c.job);
          return 'continued';
        }
        firstPage = false;
        const phase = run.phase;
        const page = await this.fetch(phase);
        if (!page) continue;
        await this.plan(phase, page);
        run.pages += 1;
        const following = page['@odata.nextLink'];
        if (following) {
          run.next = following;
          if (
            this.writer.pendingWrites >= (this.c.writesPerFlush ?? writesPerFlush) ||
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
    return 'done';
  }

  /** The phase's next page (fetched ahead while the last was stored), or none when its delta link expired. */
  private async fetch(phase: ReplicationPhase): Promise<Page | undefined> {
    const { run, state } = this;
    let url: string;
    const deltaKey = phase === 'users' ? 'usersDeltaLink' : 'groupsDeltaLink';
    if (isList(phase)) {
      run.fullPhase = true;
      url = run.next ?? (phase === 'voice' ? teamsConfigurations : directRoutingNumbers);
      if (!this.listIndex) {
        this.listIndex = await this.c.replica.fieldIndex(
          this.c.job.tenantId,
          phase === 'voice' ? 'voice' : 'number',
          'hash',
        );
        // Resuming the list: what earlier slices saw is not to be swept.
        if (run.next) for await (const id of this.listed.saved(phase)) markSeen(this.listIndex, id);
      }
    } else {
      if (!run.next && !state[deltaKey]) run.fullPhase = true;
      url = run.next ?? state[deltaKey] ?? (phase === 'users' ? usersDelta : groupsDelta);
      if (run.fullPhase && !this.comparedFully.has(phase)) {
        // A first sync has nothing to compare with: no reads.
        this.comparedFully.add(phase);
        for (const kind of phase === 'users' ? (['user'] as const) : (['group', 'member'] as const))
          await this.writer.checkEmpty(kind);
      }
    }
    let page: Page;
    try {
      const ahead = this.prefetched?.url === url ? this.prefetched.page : undefined;
      this.prefetched = undefined;
      page = await (ahead ?? this.c.graph.get<Page>(this.c.token, url));
    } catch (error) {
      if (isList(phase) || !isExpiredDelta(error)) throw error;
      this.c.log.info(`${this.c.job.tenantId}: ${phase} delta link expired; enumerating everything again`);
      await this.checkpoint();
      state[deltaKey] = undefined;
      run.next = undefined;
      run.fullPhase = true;
      await this.save();
      return undefined;
    }
    const following = page['@odata.nextLink'];
    if (following) {
      // Fetch the next page while this one is stored; a failure surfaces when it is awaited.
      const ahead = this.c.graph.get<Page>(this.c.token, following);
      ahead.catch(() => undefined);
      this.prefetched = { url: following, page: ahead };
    }
    return page;
  }

  private async plan(phase: ReplicationPhase, page: Page): Promise<void> {
    const gen = this.run.fullPhase ? String(this.run.generation) : undefined;
    if (phase === 'users') await this.writer.users(page.value, gen);
    if (phase === 'groups') await this.writer.groups(page.value, gen);
    if (isList(phase) && this.listIndex) {
      if (phase === 'voice') this.writer.voice(page.value, this.listIndex);
      else this.writer.numbers(page.value, this.listIndex);
      this.listed.add(
        page.value.map((entry) => String(phase === 'voice' ? entry.id : entry.telephoneNumber)),
      );
    }
  }

  /** The phase's last page is planned: store it, remove what is gone, keep the delta link, move on. */
  private async finishPhase(phase: ReplicationPhase, page: Page): Promise<void> {
    const { run, state } = this;
    await this.checkpoint();
    const gen = String(run.generation);
    if (run.fullPhase && phase === 'users') await this.writer.sweep('user', gen);
    if (run.fullPhase && phase === 'groups') {
      await this.writer.sweep('group', gen);
      await this.writer.sweep('member', gen);
    }
    if (isList(phase) && this.listIndex)
      this.writer.sweepListed(phase === 'voice' ? 'voice' : 'number', this.listIndex);
    await this.checkpoint();
    this.listIndex = undefined;
    if ((phase === 'users' || phase === 'groups') && page['@odata.deltaLink'])
      state[phase === 'users' ? 'usersDeltaLink' : 'groupsDeltaLink'] = page['@odata.deltaLink'];
    run.phase = nextPhase[phase];
    run.next = undefined;
    run.fullPhase = false;
    await this.save();
    if (isList(phase)) await this.listed.forget(phase);
  }

  private position(): Position {
    const { phase, next, fullPhase, pages } = this.run;
    return { phase, next, fullPhase, pages };
  }

  /**
   * Writes the run, at `at`, the tenant's replication state and what a whole list showed since the last save,
   * together (one partition, one transaction).
   */
  private async save(at = this.position(), listedRow?: ListedIdsRow & { rowKey: string }) {
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
    if (listedRow) transaction.upsert(listedRow);
    await transaction.commit();
  }

  /**
   * Stores what was planned, then saves the position past it: nothing planned is ever skipped. In the
   * background, pages are fetched and planned meanwhile; one flush at a time, so at most two batches wait.
   */
  private async checkpoint(background = false): Promise<void> {
    await this.storing;
    const at = this.position();
    const listedRow = isList(at.phase)
      ? this.listed.take(at.phase, at.pages, new Date().toISOString())
      : undefined;
    const sealed = this.writer.seal();
    this.storing = (async () => {
      if (sealed.writes > 0) {
        const flushed = await sealed.flush(this.run.feedBase ?? '');
        addFlushed(this.counts, flushed);
        if (flushed.lastSeq) this.run.cursor = flushed.lastSeq;
        this.run.feedBase = nextFeedBase(this.run.feedBase);
        this.state.feedBase = this.run.feedBase;
      }
      await this.save(at, listedRow);
    })();
    this.lastCheckpoint = Date.now();
    if (background) this.storing.catch(() => undefined);
    else await this.storing;
  }
}
