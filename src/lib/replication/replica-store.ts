import pMap from 'p-map';
import type { EntityTable } from '../storage/entity-table.js';
import { tableFilter } from '../storage/table-filters.js';
import type { ChangeEntry, ChangeFeed } from './change-feed.js';
import type { PlannedWrite } from './planned-write.js';
import { type Flushed, finishFlush, type ReplicaRow, storeFlush } from './replica-flush.js';
import type { ReplicaReader, RowState } from './replica-planner.js';
import {
  bucketPartition,
  kindRange,
  type ObjectKind,
  replicaPartition,
  rowPrefix,
  tenantPartitions,
} from './replica-rows.js';
import { StoredStateIndex } from './stored-state-index.js';

/** Point reads in flight at once. */
const readConcurrency = 16;

/**
 * The replica of each tenant in the `Replica` table (users with their directory fields, their voice settings,
 * groups, memberships, Direct Routing numbers), spread over the tenant's partitions, and its change feed: what
 * planning reads, where flushes are stored, what the core reads back.
 */
export class ReplicaStore implements ReplicaReader {
  constructor(
    private readonly rows: EntityTable<ReplicaRow>,
    private readonly feed: ChangeFeed,
  ) {}

  /** The feed's newest change whose rows are stored (before the tenant's next feed base); none while it is empty. */
  newestCursor(tenantId: string, nextBase: string | undefined): Promise<string | undefined> {
    return this.feed.lastSettled(tenantId, nextBase);
  }

  /** Stores planned writes: their changes in the feed under `base`, then the rows (see replica-flush.ts). */
  flush(tenantId: string, writes: readonly PlannedWrite[], base: string): Promise<Flushed> {
    return storeFlush(this.rows, this.feed, tenantId, writes, base);
  }

  /**
   * Finishes the flushes stored from `base` on (the tenant's next base) whose checkpoints were never saved, oldest
   * first; returns what each stored, and its base.
   */
  async finishUnsettled(tenantId: string, base: string | undefined): Promise<(Flushed & { base: string })[]> {
    const finished: (Flushed & { base: string })[] = [];
    for (const flush of await this.feed.unsettled(tenantId, base))
      finished.push({ ...(await finishFlush(this.rows, tenantId, flush)), base: flush.base });
    return finished;
  }

  /** Deletes up to `limit` of the tenant's replica rows, then of its change feed; 0 once none is left. */
  async deleteSome(tenantId: string, limit: number): Promise<number> {
    const rows = await this.rows.deleteWhere(tenantPartitions(tenantId), limit);
    return rows > 0 ? rows : this.feed.deleteSome(tenantId, limit);
  }

  /** Changes after `cursor` (a change's seq), oldest first. */
  changes(tenantId: string, cursor: string | undefined, top: number): Promise<ChangeEntry[]> {
    return this.feed.read(tenantId, cursor, top);
  }

  async states(tenantId: string, rowKeys: string[]): Promise<Map<string, RowState>> {
    const found = new Map<string, RowState>();
    await pMap(
      rowKeys,
      async (rowKey) => {
        const stored = await this.rows.get(replicaPartition(tenantId, rowKey), rowKey);
        if (stored) found.set(rowKey, stateOf(stored.entity));
      },
      { concurrency: readConcurrency },
    );
    return found;
  }

  /**
   * The stored state of every row of a kind, only the key, fingerprint and generation of each row (up to 1,000 rows
   * a request instead of one), read from the tenant's partition ranges side by side.
   */
  async stateIndex(tenantId: string, kind: ObjectKind, generation: string): Promise<StoredStateIndex> {
    const index = new StoredStateIndex(generation);
    await pMap(
      partitionRanges(tenantId),
      async (range) => {
        for await (const { entity } of this.rows.query(tableFilter.and(range, kindRange(kind)), [
          'RowKey',
          'hash',
          'gen',
        ]))
          index.add(
            entity.rowKey,
            entity.hash as string | undefined,
            entity.gen === undefined ? undefined : String(entity.gen),
          );
      },
      { concurrency: rangeCount },
    );
    return index;
  }

  async isEmpty(tenantId: string, kind: ObjectKind): Promise<boolean> {
    for await (const _ of this.rows.query(tableFilter.and(tenantPartitions(tenantId), kindRange(kind)), [
      'RowKey',
    ]))
      return false;
    return true;
  }

  /** How many rows the tenant's replica holds (for a deletion threshold given as a share). */
  async rowCount(tenantId: string): Promise<number> {
    let rows = 0;
    for await (const _ of this.rows.query(tenantPartitions(tenantId), ['RowKey'])) rows += 1;
    return rows;
  }

  /** Id → one stored field of every row of a kind, for comparing a whole list (a few dozen bytes per row). */
  async fieldIndex(tenantId: string, kind: ObjectKind, field: string): Promise<Map<string, string>> {
    const index = new Map<string, string>();
    for (const range of partitionRanges(tenantId))
      for await (const { entity } of this.rows.query(tableFilter.and(range, kindRange(kind)), [
        'RowKey',
        field,
      ]))
        index.set(entity.rowKey.slice(rowPrefix[kind].length), String(entity[field] ?? ''));
    return index;
  }

  async *unstamped(
    tenantId: string,
    kind: ObjectKind,
    gen: string,
    buckets?: number[],
  ): AsyncIterable<string> {
    const partitions = buckets
      ? buckets.map((bucket) => tableFilter.partition(bucketPartition(tenantId, bucket)))
      : partitionRanges(tenantId);
    for (const partition of partitions) {
      const filter = tableFilter.and(partition, kindRange(kind), tableFilter.property('gen', 'ne', gen));
      for await (const { entity } of this.rows.query(filter, ['RowKey'])) yield entity.rowKey;
    }
  }

  /** The stored memberships of a group (one partition: they live with their group). */
  async membershipKeys(tenantId: string, groupId: string): Promise<Map<string, RowState>> {
    const prefix = `${rowPrefix.member}${groupId}|`;
    const found = new Map<string, RowState>();
    for await (const { entity } of this.rows.queryPrefix(replicaPartition(tenantId, prefix), prefix))
      found.set(entity.rowKey, stateOf(entity));
    return found;
  }
}

/** The tenant's partitions in ranges (by the first hex digit of their bucket). */
const rangeCount = 16;

/**
 * A tenant's replica partitions as 16 ranges, for reading a kind whole: a range is read faster than the tenant at
 * once where each page of a query sorts what is left to read (Azurite), and ranges can be read side by side.
 */
function partitionRanges(tenantId: string): string[] {
  return Array.from({ length: rangeCount }, (_, digit) =>
    tableFilter.partitionsStartingWith(`${tenantId}|${digit.toString(16)}`),
  );
}

const stateOf = (row: ReplicaRow): RowState => ({
  hash: row.hash as string | undefined,
  gen: row.gen === undefined ? undefined : String(row.gen),
});
