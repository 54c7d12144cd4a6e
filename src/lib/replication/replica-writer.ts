import pMap from 'p-map';
import { maxTransactionOperations } from '../storage/entity-table.js';
import { EntityExistsError } from '../storage/storage-errors.js';
import type { Change } from './change-feed.js';
import {
  fingerprint,
  groupFields,
  numberFields,
  type ObjectKind,
  replicaBuckets,
  replicaPartition,
  rowPrefix,
  userFields,
  voiceFields,
} from './replica-rows.js';
import type { ReplicaStore, RowState } from './replica-store.js';

interface Write {
  rowKey: string;
  /** Properties to write; undefined to delete the row. */
  fields?: Record<string, unknown>;
  /** The row is believed absent: insert it (cheaper than a merge; if it exists after all, it is merged). */
  create?: boolean;
  /** Replace the whole row (it was removed and comes back in the same flush). */
  replace?: boolean;
  /** The change it reports (its kind and id are the row's); none for bookkeeping (stamping a row as seen). */
  change?: { op: Change['op']; at: string };
}

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

/** Planned writes being stored; `flush` stores them (once). */
export interface SealedFlush {
  writes: number;
  flush(base: string): Promise<Flushed>;
}

/** Planned writes that make about one full transaction in most of a tenant's partitions. */
export const writesPerFlush = replicaBuckets * 90;

/** Transactions in flight at once, each in its own partition. */
export const transactionConcurrency = 4;

/** An index of a whole list's stored fingerprints (id → hash); an id the list showed is marked seen. */
export type SeenIndex = Map<string, string>;
const seen = '\u0000seen';

/** Marks an id as shown by the list already (in an earlier slice of the run). */
export function markSeen(index: SeenIndex, id: string): void {
  if (index.has(id)) index.set(id, seen);
}

/**
 * Plans one tenant's replica writes for one job and stores them in flushes: a row is written only when its
 * fingerprint changed, and every write that changes something reports it in the change feed. A flush stores
 * the feed first, under a base the job checkpoints (so a repeated flush rewrites the same positions), then
 * the rows, partition by partition in full transactions. Until a flush, everything planned is only in memory:
 * the caller checkpoints its position only after flushing.
 */
export class ReplicaWriter {
  private pending = new Map<string, Write>();
  /** Rows' state as stored or as planned, for rows this flush touched or read. */
  private known = new Map<string, RowState | null>();
  /** The same for a flush under way: what it stores is not yet in the table. */
  private sealed: Map<string, RowState | null> | undefined;
  private readonly empty = new Set<ObjectKind>();
  /** When the changes planned now happened (one timestamp per page). */
  private at = '';

  constructor(
    private readonly replica: ReplicaStore,
    readonly tenantId: string,
  ) {}

  get pendingWrites(): number {
    return this.pending.size;
  }

  /** Skips reads for a kind the tenant has no rows of yet (a first sync). */
  async checkEmpty(kind: ObjectKind): Promise<void> {
    if (await this.replica.isEmpty(this.tenantId, kind)) this.empty.add(kind);
    else this.empty.delete(kind);
  }

  private async load(keys: string[]): Promise<void> {
    const unknown = keys.filter(
      (key) =>
        !this.known.has(key) &&
        !this.sealed?.has(key) &&
        !this.empty.has(key.slice(0, key.indexOf('|')) as ObjectKind),
    );
    const found = await this.replica.states(this.tenantId, [...new Set(unknown)]);
    for (const key of unknown) this.known.set(key, found.get(key) ?? null);
  }

  private state(rowKey: string): RowState | null {
    if (this.known.has(rowKey)) return this.known.get(rowKey) ?? null;
    return this.sealed?.get(rowKey) ?? null;
  }

  private put(rowKey: string, write: Omit<Write, 'rowKey'>, now: RowState | null): void {
    this.known.set(rowKey, now);
    const earlier = this.pending.get(rowKey);
    const next: Write = { rowKey, ...write };
    if (earlier && !write.fields && earlier.create) {
      // Planned and removed before it was stored: nothing to store, nothing to report.
      this.pending.delete(rowKey);
      return;
    }
    if (earlier?.fields && write.fields) {
      next.fields = { ...earlier.fields, ...write.fields };
      next.create = earlier.create;
      next.replace = earlier.replace;
      next.change = write.change ?? earlier.change;
    } else if (earlier && !earlier.fields && write.fields) {
      next.create = false;
      next.replace = true;
    }
    this.pending.set(rowKey, next);
  }

  private upsert(rowKey: string, fields: object, gen: string | undefined): void {
    const hash = fingerprint(fields);
    const row = this.state(rowKey);
    if (row && row.hash === hash) {
      // Unchanged, but a full enumeration must stamp it as seen (bookkeeping, not a change).
      if (gen !== undefined && row.gen !== gen) this.put(rowKey, { fields: { gen } }, { ...row, gen });
      return;
    }
    // Every row carries a generation from its start, so a later full enumeration's sweep can find it.
    const stamp = gen ?? (row ? undefined : '0');
    this.put(
      rowKey,
      {
        fields: { ...fields, hash, ...(stamp ? { gen: stamp } : {}) },
        create: !row,
        change: { op: 'upsert', at: this.at },
      },
      { ...row, hash, ...(stamp ? { gen: stamp } : {}) },
    );
  }

  private remove(rowKey: string): void {
    if (this.state(rowKey)) this.put(rowKey, { change: { op: 'delete', at: this.at } }, null);
  }

  private tick(): void {
    this.at = new Date().toISOString();
  }

  /** A page of users delta: upserts, and removals (`@removed`, soft or hard). */
  async users(entries: Record<string, unknown>[], gen?: string): Promise<void> {
    await this.load(entries.map((entry) => `${rowPrefix.user}${entry.id}`));
    this.tick();
    for (const entry of entries) {
      const rowKey = `${rowPrefix.user}${entry.id}`;
      if (entry['@removed']) this.remove(rowKey);
      else this.upsert(rowKey, userFields(entry), gen);
    }
  }

  /** A page of groups delta with `members@delta`: groups and memberships (a group may come in parts). */
  async groups(entries: Record<string, unknown>[], gen?: string): Promise<void> {
    const members = (entry: Record<string, unknown>) =>
      (entry['members@delta'] as { id: string; '@removed'?: unknown }[] | undefined) ?? [];
    await this.load(
      entries.flatMap((entry) => [
        `${rowPrefix.group}${entry.id}`,
        ...members(entry).map((member) => `${rowPrefix.member}${entry.id}|${member.id}`),
      ]),
    );
    this.tick();
    for (const entry of entries) {
      const id = String(entry.id);
      if (entry['@removed']) {
        await this.removeGroup(id);
        continue;
      }
      // A continuation entry carries only id and more members: no group fields to write.
      if ('displayName' in entry || 'mail' in entry)
        this.upsert(`${rowPrefix.group}${id}`, groupFields(entry), gen);
      for (const member of members(entry)) {
        const rowKey = `${rowPrefix.member}${id}|${member.id}`;
        const row = this.state(rowKey);
        if (member['@removed']) this.remove(rowKey);
        else if (!row) {
          const stamp = gen ?? '0';
          this.put(
            rowKey,
            { fields: { gen: stamp }, create: true, change: { op: 'upsert', at: this.at } },
            { gen: stamp },
          );
        } else if (gen !== undefined && row.gen !== gen)
          this.put(rowKey, { fields: { gen } }, { ...row, gen });
      }
    }
  }

  /** A removed group takes its memberships with it: the entry names none, so find them. */
  private async removeGroup(id: string): Promise<void> {
    const prefix = `${rowPrefix.member}${id}|`;
    const stored = this.empty.has('member')
      ? new Map<string, RowState>()
      : await this.replica.membershipKeys(this.tenantId, id);
    for (const [rowKey, state] of stored)
      if (!this.known.has(rowKey) && !this.sealed?.has(rowKey)) this.known.set(rowKey, state);
    const candidates = new Set([...this.known.keys(), ...(this.sealed?.keys() ?? [])]);
    for (const rowKey of candidates) if (rowKey.startsWith(prefix)) this.remove(rowKey);
    this.remove(`${rowPrefix.group}${id}`);
  }

  /**
   * A page of Teams user configurations: users' voice rows, written only when changed. The list has no delta, so
   * `index` (user id → stored fingerprint) says what is stored and keeps what the list showed.
   */
  voice(configurations: Record<string, unknown>[], index: SeenIndex): void {
    this.tick();
    for (const configuration of configurations)
      this.listed('voice', String(configuration.id), voiceFields(configuration as never), index);
  }

  /** A page of Direct Routing number assignments, against `index` (number → stored fingerprint). */
  numbers(numbers: Record<string, unknown>[], index: SeenIndex): void {
    this.tick();
    for (const number of numbers)
      this.listed('number', String(number.telephoneNumber), numberFields(number), index);
  }

  private listed(kind: 'voice' | 'number', id: string, fields: object, index: SeenIndex): void {
    const stored = index.get(id);
    if (stored === seen) return;
    index.set(id, seen);
    const rowKey = `${rowPrefix[kind]}${id}`;
    this.known.set(rowKey, stored === undefined ? null : { hash: stored });
    this.upsert(rowKey, fields, undefined);
  }

  /** After a whole list was read: removes the rows of what it did not show. */
  sweepListed(kind: 'voice' | 'number', index: SeenIndex): void {
    this.tick();
    for (const [id, stored] of index) {
      if (stored === seen) continue;
      const rowKey = `${rowPrefix[kind]}${id}`;
      this.known.set(rowKey, { hash: stored });
      this.remove(rowKey);
    }
  }

  /** After a full delta enumeration succeeded: removes rows of a kind it did not stamp with `gen`. */
  async sweep(kind: 'user' | 'group' | 'member', gen: string): Promise<void> {
    this.tick();
    for await (const rowKey of this.replica.unstamped(this.tenantId, kind, gen)) {
      if (this.state(rowKey)?.gen === gen) continue;
      this.known.set(rowKey, this.known.get(rowKey) ?? { gen: '' });
      this.remove(rowKey);
    }
  }

  /** Stores what was planned: the feed's changes under `base`, then the rows. */
  flush(base: string): Promise<Flushed> {
    return this.seal().flush(base);
  }

  /**
   * Takes what was planned so far out to be stored, so planning can go on while it is: until its flush has
   * finished, planning sees those rows as planned rather than as the table holds them.
   */
  seal(): SealedFlush {
    const writes = [...this.pending.values()];
    const sealed = this.known;
    this.pending = new Map();
    this.known = new Map();
    this.sealed = sealed;
    return {
      writes: writes.length,
      flush: async (base) => {
        try {
          return await this.store(writes, base);
        } finally {
          if (this.sealed === sealed) this.sealed = undefined;
        }
      },
    };
  }

  private async store(writes: Write[], base: string): Promise<Flushed> {
    const counts = Object.fromEntries(
      (['user', 'group', 'member', 'voice', 'number'] as const).map((kind) => [
        kind,
        { upserted: 0, deleted: 0 },
      ]),
    ) as ChangeCounts;
    const changes = writes.flatMap((write) => (write.change ? [changeOf(write, write.change)] : []));
    for (const change of changes) counts[change.kind][change.op === 'delete' ? 'deleted' : 'upserted'] += 1;
    const fed = await this.replica.feed.append(this.tenantId, base, changes);
    const byPartition = new Map<string, Write[]>();
    for (const write of writes) {
      const partition = replicaPartition(this.tenantId, write.rowKey);
      const list = byPartition.get(partition);
      if (list) list.push(write);
      else byPartition.set(partition, [write]);
    }
    const chunks = [...byPartition].flatMap(([partition, partitionWrites]) =>
      Array.from({ length: Math.ceil(partitionWrites.length / maxTransactionOperations) }, (_, i) => ({
        partition,
        writes: partitionWrites.slice(i * maxTransactionOperations, (i + 1) * maxTransactionOperations),
      })),
    );
    // Partitions take their transactions side by side (each partition is its own unit of scale).
    await pMap(
      chunks,
      async ({ partition, writes: chunk }) => {
        try {
          await this.commit(partition, chunk, true);
        } catch (error) {
          // A row believed absent exists (a list showed an object twice across flushes): merge instead.
          if (!(error instanceof EntityExistsError)) throw error;
          await this.commit(partition, chunk, false);
        }
      },
      { concurrency: transactionConcurrency },
    );
    return { counts, transactions: fed.transactions + chunks.length, lastSeq: fed.lastSeq };
  }

  private async commit(partition: string, writes: Write[], insertNew: boolean): Promise<void> {
    const transaction = this.replica.rows.transaction(partition);
    for (const write of writes) {
      const row = { rowKey: write.rowKey, ...write.fields };
      if (!write.fields) transaction.deleteUnconditionally(write.rowKey);
      else if (write.replace) transaction.upsert(row);
      else if (write.create && insertNew) transaction.insert(row);
      else transaction.merge(row);
    }
    await transaction.commit();
  }
}

/** The change a write reports: kind and id from its row key, and the object's fields after an upsert. */
function changeOf({ rowKey, fields }: Write, { op, at }: NonNullable<Write['change']>): Change {
  const split = rowKey.indexOf('|');
  const change: Change = { kind: rowKey.slice(0, split) as ObjectKind, id: rowKey.slice(split + 1), op, at };
  if (op === 'upsert' && fields) {
    const { hash: _hash, gen: _gen, ...data } = fields;
    if (Object.keys(data).length > 0) change.data = data;
  }
  return change;
}
