import type { TenantTable } from '../tenants/tenant-partition.js';
import { ReplicaPlanner, type SeenIndex } from './replica-planner.js';
import type { ReplicaStore } from './replica-store.js';
import { type Phase, phases } from './replication-phases.js';
import type { ReplicationPhase, ReplicationRunRecord } from './replication-run.js';
import { RunSavedIds } from './run-saved-ids.js';

export type StreamName = Exclude<ReplicationPhase, 'done'>;

/** Where one stream of a run is: the next page to fetch, whether it enumerates everything, pages read, its end. */
export interface StreamPosition {
  /** The next page (a next link), so a new slice resumes exactly there. */
  next?: string;
  /** It enumerates everything (no delta link yet, or it expired; always for a whole list): sweep what it did not see. */
  fullPhase?: boolean;
  pages: number;
  done?: boolean;
}
export type StreamPositions = Record<StreamName, StreamPosition>;

/**
 * The streams' positions a run record holds. A run saved before the streams ran side by side kept one phase's
 * position: the phases before it are done, it is where it was, the ones after it have not begun.
 */
export function streamPositions(run: ReplicationRunRecord): StreamPositions {
  if (run.streams) return JSON.parse(run.streams) as StreamPositions;
  const at = phases.findIndex((phase) => phase.name === run.phase);
  const positions = {} as StreamPositions;
  for (const [index, phase] of phases.entries())
    positions[phase.name as StreamName] =
      at < 0 || index < at
        ? { pages: 0, done: true }
        : index === at
          ? {
              pages: run.pages,
              ...(run.next ? { next: run.next } : {}),
              ...(run.fullPhase ? { fullPhase: true } : {}),
            }
          : { pages: 0 };
  return positions;
}

/** The first stream still under way, in the phases' order ('done' when none is): how a run shows where it is. */
export function leadingPhase(positions: StreamPositions): ReplicationPhase {
  return phases.find((phase) => !positions[phase.name as StreamName]?.done)?.name ?? 'done';
}

export const pagesRead = (positions: StreamPositions): number =>
  Object.values(positions).reduce((sum, position) => sum + position.pages, 0);

type Page = { value: Record<string, unknown>[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };

/** A page asked for ahead of its turn; `chars`, its size once counted against the read-ahead budget. */
export interface PageAhead {
  url: string;
  page: Promise<Page>;
  chars: number;
}

/**
 * One stream of a tenant's run (a phase: users delta, groups delta, Teams configurations, numbers), followed side
 * by side with the others: its position, its own planner (the streams write disjoint row kinds, so no row is
 * planned by two), what its whole list showed or its full enumeration saw, and what removals it holds back.
 */
export class ReplicationStream {
  readonly name: StreamName;
  readonly planner: ReplicaPlanner;
  readonly listed: RunSavedIds;
  readonly seen: RunSavedIds;
  readonly deferredIds: RunSavedIds;
  /** A whole list is compared with an index of what is stored, read once per slice. */
  listIndex: SeenIndex | undefined;
  /** A full enumeration checked which of its kinds have no rows yet (a first sync reads nothing). */
  comparedFully = false;
  /** Removals earlier slices of the phase held back were replayed into the planner. */
  replayed = false;
  /**
   * Pages fetched ahead, in order: the next one while a page is planned and stored, and more while the stored
   * state of a full enumeration is read (`comparing`), within the slice's read-ahead budget.
   */
  ahead: PageAhead[] = [];
  /** Characters of the pages fetched ahead while `comparing` (see readAheadChars). */
  aheadChars = 0;
  /** Reading what is stored, for a full enumeration to compare its pages with: planning waits for it. */
  comparison: Promise<void> | undefined;
  comparing = false;
  /** The stream's part of the slice ended: nothing more is fetched ahead. */
  closed = false;
  /**
   * Settles once, in this slice, the stream decided on its removals ('decided', also for a stream done before)
   * or stopped short of that ('stopped'): later phases decide only after it did.
   */
  readonly settled: Promise<'decided' | 'stopped'>;
  private settle!: (how: 'decided' | 'stopped') => void;

  constructor(
    readonly phase: Phase,
    public position: StreamPosition,
    context: { tenants: TenantTable; replica: ReplicaStore; tenantId: string; runId: string },
  ) {
    this.name = phase.name as StreamName;
    this.planner = new ReplicaPlanner(context.replica, context.tenantId);
    this.listed = new RunSavedIds(context.tenants, context.tenantId, context.runId, 'listed');
    this.seen = new RunSavedIds(context.tenants, context.tenantId, context.runId, 'seen');
    this.deferredIds = new RunSavedIds(context.tenants, context.tenantId, context.runId, 'deferred');
    this.settled = new Promise((resolve) => {
      this.settle = resolve;
    });
    if (position.done) this.settle('decided');
  }

  /** The stream decided on its removals (its phase ends now). */
  decided(): void {
    this.settle('decided');
  }

  /** The stream's part of the slice ended; if it had not decided, later phases must not decide either. */
  stopped(): void {
    this.closed = true;
    this.settle('stopped');
  }
}
