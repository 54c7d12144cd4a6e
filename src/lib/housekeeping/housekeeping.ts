import type { SeenRequest } from '../core-api/replay-guard.js';
import type { SignInStateRecord } from '../onboarding/sign-in-state.js';
import { type ChangeFeed, feedBaseAt } from '../replication/change-feed.js';
import type { ReplicationState } from '../replication/replication-run.js';
import type { SavedIdsKind } from '../replication/run-saved-ids.js';
import type { EntityTable } from '../storage/entity-table.js';
import { ConcurrencyError, isNotFound } from '../storage/storage-errors.js';
import { tableFilter } from '../storage/table-filters.js';
import { type TenantTable, tenantRowPrefixes, tenantRows } from '../tenants/tenant-partition.js';

export interface HousekeepingDeps {
  /** Replication runs and what their lists showed live in the tenants' partitions. */
  tenants: TenantTable;
  coreRequestIds: EntityTable<SeenRequest>;
  signInStates: EntityTable<SignInStateRecord>;
  /** A webhook-id is remembered this long (the replay window). */
  replayWindowHours: number;
  runHistoryDays: number;
  feed: ChangeFeed;
  feedRetentionDays: number;
}

export interface Swept {
  runs: number;
  listedIds: number;
  seenMarks: number;
  deferredRemovals: number;
  requestIds: number;
  signInStates: number;
  feedBatches: number;
}

/** Feed batches deleted per call, so no tenant's trimming holds one request long. */
const feedTrimSlice = 1_000;

/** What a phase saved is forgotten when the phase ends; a run that died mid-phase leaves it for a week. */
const savedIdsMs = 7 * 86_400_000;
/** Sign-in states outlive their expiry by a day, for whoever looks into a failed sign-in. */
const signInStateGraceMs = 86_400_000;

/**
 * Removes what has served its purpose: finished replication runs older than the run history, what runs that
 * died mid-list or mid-enumeration had seen, webhook-ids past the replay window, sign-in states a day past their
 * expiry, and change feed batches past the feed's retention. Deletes are conditional on the etag read, so a row
 * written meanwhile stays; the feed's trimmed batches are no one else's to write.
 */
export class Housekeeping {
  constructor(private readonly deps: HousekeepingDeps) {}

  async sweep(now = new Date()): Promise<Swept> {
    const before = (ms: number) => new Date(now.getTime() - ms).toISOString();
    return {
      runs: await this.remove(
        this.deps.tenants,
        tableFilter.and(
          tableFilter.rowKeysStartingWith(tenantRowPrefixes.runs),
          tableFilter.property('finishedAt', 'lt', before(this.deps.runHistoryDays * 86_400_000)),
        ),
      ),
      listedIds: await this.removeSavedIds('listed', before(savedIdsMs)),
      seenMarks: await this.removeSavedIds('seen', before(savedIdsMs)),
      deferredRemovals: await this.removeSavedIds('deferred', before(savedIdsMs)),
      requestIds: await this.remove(
        this.deps.coreRequestIds,
        tableFilter.property('firstSeenAt', 'lt', before(this.deps.replayWindowHours * 3_600_000)),
      ),
      signInStates: await this.remove(
        this.deps.signInStates,
        tableFilter.property('expiresAt', 'lt', before(signInStateGraceMs)),
      ),
      feedBatches: await this.trimFeeds(new Date(now.getTime() - this.deps.feedRetentionDays * 86_400_000)),
    };
  }

  /** Every replicated tenant's change feed loses its batches stored before `before` (see ChangeFeed.trim). */
  private async trimFeeds(before: Date): Promise<number> {
    let trimmed = 0;
    const states = this.deps.tenants.query<ReplicationState>(
      tableFilter.rowKey(tenantRows.replicationState),
      ['PartitionKey', 'feedBase'],
    );
    for await (const { entity } of states)
      for (;;) {
        const batches = await this.deps.feed.trim(
          entity.partitionKey,
          feedBaseAt(before),
          entity.feedBase,
          feedTrimSlice,
        );
        trimmed += batches;
        if (batches < feedTrimSlice) break;
      }
    return trimmed;
  }

  private removeSavedIds(kind: SavedIdsKind, before: string): Promise<number> {
    return this.remove(
      this.deps.tenants,
      tableFilter.and(
        tableFilter.rowKeysStartingWith(tenantRowPrefixes.savedIds(kind)),
        tableFilter.property('savedAt', 'lt', before),
      ),
    );
  }

  private async remove<T extends object>(table: EntityTable<T>, filter: string): Promise<number> {
    let removed = 0;
    for await (const { entity, etag } of table.query(filter)) {
      try {
        await table.delete(entity.partitionKey, entity.rowKey, etag);
        removed += 1;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) && !isNotFound(error)) throw error;
      }
    }
    return removed;
  }
}
