import pMap from 'p-map';
import type { EntityTable } from '../storage/entity-table.js';
import { tableFilter } from '../storage/table-filters.js';
import type { ChangeEntry, ChangeFeed } from './change-feed.js';
import { kindRange, type ObjectKind, replicaPartition, rowPrefix, tenantPartitions } from './replica-rows.js';
import { ReplicaWriter } from './replica-writer.js';

export type ReplicaRow = Record<string, unknown> & { partitionKey: string; rowKey: string };

/** What planning a write needs to know of a stored row. */
export interface RowState {
  hash?: string;
  gen?: string;
}

/** Point reads in flight at once. */
const readConcurrency = 16;

/**
 * The replica of each tenant in the `Replica` table (users with their directory and voice fields, groups,
 * memberships, Direct Routing numbers), spread over the tenant's partitions, and its change feed. Writes go
 * through a `ReplicaWriter`, one per job.
 */
export class ReplicaStore {
  constructor(
    readonly rows: EntityTable<ReplicaRow>,
    readonly feed: ChangeFeed,
  ) {}

  writer(tenantId: string): ReplicaWriter {
    return new ReplicaWriter(this, tenantId);
  }

  /** Changes after `cursor` (a change's seq), oldest first. */
  changes(tenantId: string, cursor: string | undefined, top: number): Promise<ChangeEntry[]> {
    return this.feed.read(tenantId, cursor, top);
  }

  /** The stored state of rows (absent ones missing from the map). */
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

  /** Whether the tenant has no row of a kind yet (its first sync: nothing to compare with). */
  async isEmpty(tenantId: string, kind: ObjectKind): Promise<boolean> {
    for await (const _ of this.rows.query(tableFilter.and(tenantPartitions(tenantId), kindRange(kind)), [
      'RowKey',
    ]))
      return false;
    return true;
  }

  /** Id → one stored field of every row of a kind, for comparing a whole list (a few dozen bytes per row). */
  async fieldIndex(tenantId: string, kind: ObjectKind, field: string): Promise<Map<string, string>> {
    const index = new Map<string, string>();
    const filter = tableFilter.and(tenantPartitions(tenantId), kindRange(kind));
    for await (const { entity } of this.rows.query(filter, ['RowKey', field]))
      index.set(entity.rowKey.slice(rowPrefix[kind].length), String(entity[field] ?? ''));
    return index;
  }

  /** Row keys of a kind not stamped with `gen`: what a full enumeration that stamped `gen` did not see. */
  async *unstamped(tenantId: string, kind: ObjectKind, gen: string): AsyncIterable<string> {
    const filter = tableFilter.and(
      tenantPartitions(tenantId),
      kindRange(kind),
      tableFilter.property('gen', 'ne', gen),
    );
    for await (const { entity } of this.rows.query(filter, ['RowKey'])) yield entity.rowKey;
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

const stateOf = (row: ReplicaRow): RowState => ({
  hash: row.hash as string | undefined,
  gen: row.gen === undefined ? undefined : String(row.gen),
});
