import { decodeTime, ulid } from 'ulid';
import { type EntityTable, maxTransactionOperations } from '../storage/entity-table.js';
import { tableFilter } from '../storage/table-filters.js';
import type { ObjectKind } from './replica-rows.js';

/** One change to the replica, with the object's fields as they now are (none for a removal or membership). */
export interface Change {
  kind: ObjectKind;
  id: string;
  op: 'upsert' | 'delete';
  at: string;
  data?: Record<string, unknown>;
}

/** A change as the feed serves it, with its position (`seq`, also the cursor to continue after it). */
export interface ChangeEntry extends Change {
  seq: string;
}

/**
 * What a flush writes to the change's row besides its data (kept in the feed, never served), so that a flush
 * cut short after its changes were stored can be finished from them.
 */
export interface RowWrite {
  hash?: string;
  gen?: string;
  /** The whole row is replaced (it was removed and came back in the same flush). */
  replace?: boolean;
}

/** A change as a flush stores it. */
export type StoredChange = Change & { row?: RowWrite };

/** The changes a flush stored whose checkpoint was never saved, and the position of the last. */
export interface UnsettledFlush {
  base: string;
  changes: StoredChange[];
  lastSeq: string;
}

export type FeedRow = { changes: string };

const batchDigits = 4;
const entryDigits = 3;
/** A string property holds 32K UTF-16 characters; a batch stays under that. */
const maxBatchChars = 30_000;
const maxBatchEntries = 10 ** entryDigits - 1;
/** A transaction's payload stays under 4 MiB (in UTF-8, with room for the JSON around each batch). */
const maxTransactionBytes = 3_500_000;

/** A cursor: the 26-character base of a flush, the batch within it, the entry within that. */
export const cursorPattern = new RegExp(`^[0-9A-HJKMNP-TV-Z]{26}[0-9]{${batchDigits + entryDigits}}$`);

/**
 * A base for the next flush's change positions: a ULID later than `after`, even if this machine's clock is behind
 * the one that wrote `after`, so positions only ever grow.
 */
export function nextFeedBase(after?: string): string {
  return ulid(Math.max(Date.now(), after ? decodeTime(after.slice(0, 26)) + 1 : 0));
}

/**
 * The replica's change feed, in the `ReplicaChanges` table, one partition per tenant. Changes are stored in
 * batches (a row holds up to a few hundred as JSON), keyed by the flush's base and the batch's number.
 * Positions sort in the order changes were made; a reader always sees a prefix of them, since one writer per
 * tenant commits in order. A flush stores its changes before its rows, so what the feed holds is always at
 * least what the replica holds; a flush cut short is finished from the feed (`unsettled`), never stored again.
 */
export class ChangeFeed {
  constructor(private readonly table: EntityTable<FeedRow>) {}

  /** Deletes up to `limit` of the tenant's feed rows; how many went. */
  deleteSome(tenantId: string, limit: number): Promise<number> {
    return this.table.deleteWhere(tableFilter.partition(tenantId), limit);
  }

  /** Stores changes under `base`; returns the last one's position and the transactions spent. */
  async append(
    tenantId: string,
    base: string,
    changes: StoredChange[],
  ): Promise<{ lastSeq?: string; transactions: number }> {
    const rows: (FeedRow & { rowKey: string })[] = [];
    let batch: StoredChange[] = [];
    let chars = 0;
    const close = () => {
      if (batch.length === 0) return;
      const rowKey = `${base}${String(rows.length).padStart(batchDigits, '0')}`;
      rows.push({ rowKey, changes: JSON.stringify(batch) });
      batch = [];
      chars = 0;
    };
    for (const change of changes) {
      const size = JSON.stringify(change).length + 1;
      if (batch.length === maxBatchEntries || chars + size > maxBatchChars) close();
      batch.push(change);
      chars += size;
    }
    const lastEntry = batch.length - 1;
    close();
    let transactions = 0;
    let transaction = this.table.transaction(tenantId);
    let transactionBytes = 0;
    for (const row of rows) {
      const bytes = Buffer.byteLength(row.changes, 'utf8');
      if (transaction.size === maxTransactionOperations || transactionBytes + bytes > maxTransactionBytes) {
        await transaction.commit();
        transactions += 1;
        transaction = this.table.transaction(tenantId);
        transactionBytes = 0;
      }
      transaction.upsert({ rowKey: row.rowKey, changes: row.changes });
      transactionBytes += bytes;
    }
    if (transaction.size > 0) {
      await transaction.commit();
      transactions += 1;
    }
    const last = rows.at(-1);
    return {
      lastSeq: last ? `${last.rowKey}${String(lastEntry).padStart(entryDigits, '0')}` : undefined,
      transactions,
    };
  }

  /** Up to `top` changes after `cursor` (from the start without one), oldest first. */
  async read(tenantId: string, cursor: string | undefined, top: number): Promise<ChangeEntry[]> {
    const batchKey = cursor?.slice(0, 26 + batchDigits);
    const filter = tableFilter.and(
      tableFilter.partition(tenantId),
      batchKey ? tableFilter.rowKeysFrom(batchKey) : undefined,
    );
    const entries: ChangeEntry[] = [];
    for await (const { entity } of this.table.query(filter)) {
      const changes = JSON.parse(entity.changes) as StoredChange[];
      for (const [index, { row: _row, ...change }] of changes.entries()) {
        const seq = `${entity.rowKey}${String(index).padStart(entryDigits, '0')}`;
        if (cursor && seq <= cursor) continue;
        entries.push({ seq, ...change });
        if (entries.length === top) return entries;
      }
    }
    return entries;
  }

  /**
   * The flushes stored from `base` on (the tenant's next base: anything there was stored by a flush whose
   * checkpoint was never saved), oldest first.
   */
  async unsettled(tenantId: string, base: string | undefined): Promise<UnsettledFlush[]> {
    const filter = tableFilter.and(
      tableFilter.partition(tenantId),
      base ? tableFilter.rowKeysFrom(base) : undefined,
    );
    const flushes: UnsettledFlush[] = [];
    for await (const { entity } of this.table.query(filter)) {
      const changes = JSON.parse(entity.changes) as StoredChange[];
      const flushBase = entity.rowKey.slice(0, 26);
      let flush = flushes.at(-1);
      if (flush?.base !== flushBase) {
        flush = { base: flushBase, changes: [], lastSeq: '' };
        flushes.push(flush);
      }
      flush.changes.push(...changes);
      flush.lastSeq = `${entity.rowKey}${String(changes.length - 1).padStart(entryDigits, '0')}`;
    }
    return flushes;
  }
}
