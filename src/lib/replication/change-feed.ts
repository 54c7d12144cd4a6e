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

type FeedRow = { changes: string };

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
 * batches (a row holds up to a few hundred as JSON), keyed by the flush's base and the batch's number, so
 * writing the same flush again (after a crash) overwrites rather than repeats it. Positions sort in the order
 * changes were made; a reader always sees a prefix of them, since one writer per tenant commits in order.
 */
export class ChangeFeed {
  constructor(private readonly table: EntityTable<FeedRow>) {}

  /** Stores changes under `base`; returns the last one's position and the transactions spent. */
  async append(
    tenantId: string,
    base: string,
    changes: Change[],
  ): Promise<{ lastSeq?: string; transactions: number }> {
    const rows: (FeedRow & { rowKey: string })[] = [];
    let batch: Change[] = [];
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
      const changes = JSON.parse(entity.changes) as Change[];
      for (const [index, change] of changes.entries()) {
        const seq = `${entity.rowKey}${String(index).padStart(entryDigits, '0')}`;
        if (cursor && seq <= cursor) continue;
        entries.push({ seq, ...change });
        if (entries.length === top) return entries;
      }
    }
    return entries;
  }
}
