import pMap from 'p-map';
import { type EntityTable, maxTransactionOperations } from '../storage/entity-table.js';
import { EntityExistsError } from '../storage/storage-errors.js';
import type { Change, ChangeFeed, UnsettledFlush } from './change-feed.js';
import { changeOf, type PlannedWrite, writeOf } from './planned-write.js';
import { replicaPartition } from './replica-rows.js';
import { byKind, type ObjectKind } from './replicated-kinds.js';

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

const emptyChangeCounts = (): ChangeCounts => byKind(() => ({ upserted: 0, deleted: 0 }));

/**
 * Stores one flush of planned writes: the changes they report in the feed first, under `base`, then the rows
 * (each with its change's position, `seq`, so a snapshot can tell rows changed after its position),
 * partition by partition in full transactions, a few partitions side by side. A crash in between leaves the feed
 * ahead of the rows; `finishFlush` brings the rows up to it.
 */
export async function storeFlush(
  rows: EntityTable<ReplicaRow>,
  feed: ChangeFeed,
  tenantId: string,
  writes: readonly PlannedWrite[],
  base: string,
): Promise<Flushed> {
  const changes = writes.flatMap((write) => changeOf(write) ?? []);
  const fed = await feed.append(tenantId, base, changes);
  let next = 0;
  const positioned = writes.map((write) => (write.change ? { ...write, seq: fed.seqs[next++] } : write));
  const transactions = await storeRows(rows, tenantId, positioned, true);
  return {
    counts: countChanges(changes),
    transactions: fed.transactions + transactions,
    lastSeq: fed.lastSeq,
  };
}

/**
 * Finishes a flush whose changes were stored but whose checkpoint was not (the worker died): writes the rows its
 * changes report, whether or not some were written already, and counts the changes, which the run never did.
 */
export async function finishFlush(
  rows: EntityTable<ReplicaRow>,
  tenantId: string,
  flush: UnsettledFlush,
): Promise<Flushed> {
  const writes = flush.changes.map((change) => ({ ...writeOf(change), seq: change.seq }));
  const transactions = await storeRows(rows, tenantId, writes, false);
  return { counts: countChanges(flush.changes), transactions, lastSeq: flush.lastSeq };
}

/** How many changes counts add up to. */
export const changesIn = (counts: ChangeCounts): number =>
  Object.values(counts).reduce((sum, kind) => sum + kind.upserted + kind.deleted, 0);

function countChanges(changes: readonly Change[]): ChangeCounts {
  const counts = emptyChangeCounts();
  for (const change of changes) counts[change.kind][change.op === 'delete' ? 'deleted' : 'upserted'] += 1;
  return counts;
}

/** Writes rows; returns the transactions spent. */
async function storeRows(
  rows: EntityTable<ReplicaRow>,
  tenantId: string,
  writes: readonly PlannedWrite[],
  insertNew: boolean,
): Promise<number> {
  const chunks = partitionChunks(tenantId, writes);
  await pMap(
    chunks,
    async ({ partition, writes: chunk }) => {
      try {
        await commit(rows, partition, chunk, insertNew);
      } catch (error) {
        // A row believed absent exists (a list showed an object twice across flushes): merge instead.
        if (!(error instanceof EntityExistsError)) throw error;
        await commit(rows, partition, chunk, false);
      }
    },
    { concurrency: transactionConcurrency },
  );
  return chunks.length;
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
    const row = { rowKey: write.rowKey, ...write.fields, ...(write.seq ? { seq: write.seq } : {}) };
    if (!write.fields) transaction.deleteUnconditionally(write.rowKey);
    else if (write.replace) transaction.upsert(row);
    else if (write.create && insertNew) transaction.insert(row);
    else transaction.merge(row);
  }
  await transaction.commit();
}
