import { decodeTime, encodeTime, ulid } from 'ulid';
import { type EntityTable, maxTransactionOperations, rowKey } from '../storage/entity-table.js';
import { tableFilter } from '../storage/table-filters.js';
import type { ObjectKind } from './replica-rows.js';
import { CursorExpired } from './replication-errors.js';

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

/** A stored change with its position. */
export type StoredEntry = StoredChange & { seq: string };

/** The changes a flush stored whose checkpoint was never saved, and the position of the last. */
export interface UnsettledFlush {
  base: string;
  changes: StoredEntry[];
  lastSeq: string;
}

/** A batch of changes. */
export type FeedBatchRow = { changes: string };
/** How far the feed was trimmed: the changes up to `lastTrimmed` are gone (or going). */
export type FeedRetentionRow = { lastTrimmed: string; trimmedAt: string };
export type FeedRow = FeedBatchRow | FeedRetentionRow;

/** Sorts before every batch key (a ULID starts with a digit), so no range of batches ever includes it. */
const retentionRow = rowKey<FeedRetentionRow>('!retention');
const firstBatchKey = '0';

const batchDigits = 4;
const entryDigits = 3;
/** A string property holds 32K UTF-16 characters; a batch stays under that. */
const maxBatchChars = 30_000;
const maxBatchEntries = 10 ** entryDigits - 1;
/** A transaction's payload stays under 4 MiB (in UTF-8, with room for the JSON around each batch). */
const maxTransactionBytes = 3_500_000;

/** A cursor: the 26-character base of a flush, the batch within it, the entry within that. */
export const cursorPattern = new RegExp(`^[0-9A-HJKMNP-TV-Z]{26}[0-9]{${batchDigits + entryDigits}}$`);

const batchKeyOf = (seq: string) => seq.slice(0, 26 + batchDigits);
const seqOf = (batchKey: string, entry: number) => `${batchKey}${String(entry).padStart(entryDigits, '0')}`;

/** The lowest base a flush made at `time` can have: every batch stored before then sorts below it. */
export const feedBaseAt = (time: Date): string => `${encodeTime(time.getTime(), 10)}${'0'.repeat(16)}`;

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
 * Batches past the retention are trimmed (`trim`); a reader who had not read what went is told so (`read`).
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
  ): Promise<{ lastSeq?: string; seqs: string[]; transactions: number }> {
    const rows: (FeedBatchRow & { rowKey: string })[] = [];
    const seqs: string[] = [];
    let batch: StoredChange[] = [];
    let chars = 0;
    const batchKey = () => `${base}${String(rows.length).padStart(batchDigits, '0')}`;
    const close = () => {
      if (batch.length === 0) return;
      rows.push({ rowKey: batchKey(), changes: JSON.stringify(batch) });
      batch = [];
      chars = 0;
    };
    for (const change of changes) {
      const size = JSON.stringify(change).length + 1;
      if (batch.length === maxBatchEntries || chars + size > maxBatchChars) close();
      seqs.push(seqOf(batchKey(), batch.length));
      batch.push(change);
      chars += size;
    }
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
    return { lastSeq: seqs.at(-1), seqs, transactions };
  }

  /**
   * Up to `top` changes after `cursor` (from the start without one), oldest first. A cursor before the last
   * change trimmed (or none, once the feed was trimmed) is refused with `CursorExpired`: changes are missing.
   */
  async read(tenantId: string, cursor: string | undefined, top: number): Promise<ChangeEntry[]> {
    const retention = await this.retention(tenantId);
    if (retention && (!cursor || cursor < retention.lastTrimmed))
      throw new CursorExpired(tenantId, retention.lastTrimmed);
    const filter = tableFilter.and(
      tableFilter.partition(tenantId),
      tableFilter.rowKeysFrom(cursor ? batchKeyOf(cursor) : firstBatchKey),
    );
    const entries: ChangeEntry[] = [];
    for await (const { entity } of this.table.query<FeedBatchRow>(filter)) {
      const changes = JSON.parse(entity.changes) as StoredChange[];
      for (const [index, { row: _row, ...change }] of changes.entries()) {
        const seq = seqOf(entity.rowKey, index);
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
      tableFilter.rowKeysFrom(base || firstBatchKey),
    );
    const flushes: UnsettledFlush[] = [];
    for await (const { entity } of this.table.query<FeedBatchRow>(filter)) {
      const changes = JSON.parse(entity.changes) as StoredChange[];
      const flushBase = entity.rowKey.slice(0, 26);
      let flush = flushes.at(-1);
      if (flush?.base !== flushBase) {
        flush = { base: flushBase, changes: [], lastSeq: '' };
        flushes.push(flush);
      }
      flush.changes.push(
        ...changes.map((change, index) => ({ ...change, seq: seqOf(entity.rowKey, index) })),
      );
      flush.lastSeq = seqOf(entity.rowKey, changes.length - 1);
    }
    return flushes;
  }

  /**
   * The position of the last change stored before `settledBefore` (the tenant's next base: what lies from there
   * on belongs to a flush not yet settled); none when there is none.
   */
  lastSettled(tenantId: string, settledBefore: string | undefined): Promise<string | undefined> {
    return this.lastEntryBefore(tenantId, settledBefore);
  }

  /** How far the feed was trimmed, if it ever was. */
  async retention(tenantId: string): Promise<FeedRetentionRow | undefined> {
    return (await this.table.get(tenantId, retentionRow))?.entity;
  }

  /**
   * Trims the tenant's batches stored before `before`, but never the newest settled one (before `settledBefore`,
   * the tenant's next base) nor anything after it: a core that read everything keeps a cursor the feed still
   * knows, and an unsettled flush stays to be finished. Records the last change that goes before deleting
   * anything, so a cursor before it is refused from then on. Deletes up to `limit` batches, oldest first; how
   * many went.
   */
  async trim(
    tenantId: string,
    before: string,
    settledBefore: string | undefined,
    limit: number,
  ): Promise<number> {
    if (!settledBefore) return 0;
    let keepFrom = before < settledBefore ? before : settledBefore;
    if (!(await this.hasBatches(tenantId, keepFrom, settledBefore)))
      keepFrom = (await this.lastBatchBefore(tenantId, keepFrom)) ?? keepFrom;
    const lastGoing = await this.lastEntryBefore(tenantId, keepFrom);
    if (!lastGoing) return 0;
    const retention = await this.retention(tenantId);
    if (!retention || retention.lastTrimmed < lastGoing)
      await this.table
        .transaction(tenantId)
        .upsert({ rowKey: retentionRow, lastTrimmed: lastGoing, trimmedAt: new Date().toISOString() })
        .commit();
    return this.table.deleteWhere(this.batchesBetween(tenantId, firstBatchKey, keepFrom), limit);
  }

  private batchesBetween(tenantId: string, from: string, before: string): string {
    return tableFilter.and(
      tableFilter.partition(tenantId),
      tableFilter.rowKeysFrom(from),
      tableFilter.rowKeysBefore(before),
    );
  }

  private async hasBatches(tenantId: string, from: string, before: string): Promise<boolean> {
    for await (const _ of this.table.query(this.batchesBetween(tenantId, from, before), ['RowKey']))
      return true;
    return false;
  }

  /** The position of the last change in the batches before `before`. */
  private async lastEntryBefore(tenantId: string, before: string | undefined): Promise<string | undefined> {
    const last = await this.lastBatchBefore(tenantId, before);
    const stored = last ? await this.table.get<FeedBatchRow>(tenantId, rowKey(last)) : undefined;
    if (!last || !stored) return undefined;
    return seqOf(last, (JSON.parse(stored.entity.changes) as unknown[]).length - 1);
  }

  /** The key of the newest batch before `before` (reads keys only). */
  private async lastBatchBefore(tenantId: string, before: string | undefined): Promise<string | undefined> {
    if (!before) return undefined;
    let last: string | undefined;
    for await (const { entity } of this.table.query(this.batchesBetween(tenantId, firstBatchKey, before), [
      'RowKey',
    ]))
      last = entity.rowKey;
    return last;
  }
}
