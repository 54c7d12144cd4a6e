import pMap from 'p-map';
import { type EntityTable, maxTransactionOperations } from '../storage/entity-table.js';
import { EntityExistsError } from '../storage/storage-errors.js';
import type { ChangeFeed } from './change-feed.js';
import { changeOf, type PlannedWrite } from './planned-write.js';
import { type ObjectKind, replicaPartition } from './replica-rows.js';

export interface KindCounts {
  upserted: number;
  deleted: number;
}
export type ChangeCounts = Record<ObjectKind, KindCounts>;

export interface Flushed {
  counts: ChangeCounts;
  transactions: number;
  /** The last change's position, when the flush reported any. */
  lastSeq?: string;
}

export type ReplicaRow = Record<string, unknown> & { partitionKey: string; rowKey: string };

/** Transactions in flight at once, each in its own partition. */
export const transactionConcurrency = 4;

const emptyChangeCounts = (): ChangeCounts => ({
  user: { upserted: 0, deleted: 0 },
  group: { upserted: 0, deleted: 0 },
  member: { upserted: 0, deleted: 0 },
  voice: { upserted: 0, deleted: 0 },
  number: { upserted: 0, deleted: 0 },
});

/**
 * Stores one flush of planned writes: the changes they report in the feed first, under `base` (so the same flush
 * stored again after a crash rewrites the same positions), then the rows, partition by partition in full
 * transactions, a few partitions side by side.
 */
export async function storeFlush(
  rows: EntityTable<ReplicaRow>,
  feed: ChangeFeed,
  tenantId: string,
  writes: readonly PlannedWrite[],
  base: string,
): Promise<Flushed> {
  const counts = emptyChangeCounts();
  const changes = writes.flatMap((write) => changeOf(write) ?? []);
  for (const change of changes) counts[change.kind][change.op === 'delete' ? 'deleted' : 'upserted'] += 1;
  const fed = await feed.append(tenantId, base, changes);
  const chunks = partitionChunks(tenantId, writes);
  await pMap(
    chunks,
    async ({ partition, writes: chunk }) => {
      try {
        await commit(rows, partition, chunk, true);
      } catch (error) {
        // A row believed absent exists (a list showed an object twice across flushes): merge instead.
        if (!(error instanceof EntityExistsError)) throw error;
        await commit(rows, partition, chunk, false);
      }
    },
    { concurrency: transactionConcurrency },
  );
  return { counts, transactions: fed.transactions + chunks.length, lastSeq: fed.lastSeq };
}

/** The writes grouped by partition, in transactions of at most 100. */
function partitionChunks(tenantId: string, writes: readonly PlannedWrite[]) {
  const byPartition = new Map<string, PlannedWrite[]>();
  for (const write of writes) {
    const partition = replicaPartition(tenantId, write.rowKey);
    const list = byPartition.get(partition);
    if (list) list.push(write);
    else byPartition.set(partition, [write]);
  }
  return [...byPartition].flatMap(([partition, partitionWrites]) =>
    Array.from({ length: Math.ceil(partitionWrites.length / maxTransactionOperations) }, (_, i) => ({
      partition,
      writes: partitionWrites.slice(i * maxTransactionOperations, (i + 1) * maxTransactionOperations),
    })),
  );
}

async function commit(
  rows: EntityTable<ReplicaRow>,
  partition: string,
  writes: PlannedWrite[],
  insertNew: boolean,
): Promise<void> {
  const transaction = rows.transaction(partition);
  for (const write of writes) {
    const row = { rowKey: write.rowKey, ...write.fields };
    if (!write.fields) transaction.deleteUnconditionally(write.rowKey);
    else if (write.replace) transaction.upsert(row);
    else if (write.create && insertNew) transaction.insert(row);
    else transaction.merge(row);
  }
  await transaction.commit();
}
