import { maxTransactionOperations } from '../storage/entity-table.js';
import { EntityExistsError } from '../storage/storage-errors.js';
import type { Change } from './change-feed.js';
import {
  type ChangeKind,
  fingerprint,
  groupFields,
  noVoice,
  numberFields,
  type ObjectKind,
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
  /** The changes it reports, one per kind; none for bookkeeping (stamping a row a full enumeration saw). */
  changes: Map<ChangeKind, Change>;
}

export type ChangeCounts = Record<ChangeKind, { upserted: number; deleted: number }>;

export interface Flushed {
  counts: ChangeCounts;
  transactions: number;
  /** The last change's position, when the flush reported any. */
  lastSeq?: string;
}

/** An index of a whole list's stored fingerprints (id → hash); an id the list showed is marked seen. */
export type SeenIndex = Map<string, string>;
const seen = '\u0000seen';

/**
 * Plans one tenant's replica writes for one job and stores them in flushes: a row is written only when its
 * fingerprint changed, and every write that changes something reports it in the change feed. A flush stores
 * the feed first, under a base the job checkpoints (so a repeated flush rewrites the same positions), then
 * the rows, partition by partition in full transactions. Until a flush, everything planned is only in memory:
 * the caller checkpoints its position only after flushing.
 */
export class ReplicaWriter {
  private readonly pending = new Map<string, Write>();
  /** Rows' state as stored or as planned, for rows this flush touched or read. */
  private readonly known = new Map<string, RowState | null>();
  private readonly empty = new Set<ObjectKind>();

  constructor(
    private readonly store: ReplicaStore,
    readonly tenantId: string,
  ) {}

  get pendingWrites(): number {
    return this.pending.size;
  }

  /** Skips reads for a kind the tenant has no rows of yet (a first sync). */
  async checkEmpty(kind: ObjectKind): Promise<void> {
    if (await this.store.isEmpty(this.tenantId, kind)) this.empty.add(kind);
    else this.empty.delete(kind);
  }

  private async load(keys: string[]): Promise<void> {
    const unknown = keys.filter(
      (key) => !this.known.has(key) && !this.empty.has(key.slice(0, key.indexOf('|')) as ObjectKind),
    );
    const found = await this.store.states(this.tenantId, [...new Set(unknown)]);
    for (const key of unknown) this.known.set(key, found.get(key) ?? null);
  }

  private state(rowKey: string): RowState | null {
    return this.known.get(rowKey) ?? null;
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
      next.changes = new Map([...earlier.changes, ...write.changes]);
    } else if (earlier && !earlier.fields && write.fields) {
      next.create = false;
      next.replace = true;
    }
    this.pending.set(rowKey, next);
  }

  private upsert(
    rowKey: string,
    kind: ChangeKind,
    id: string,
    fields: object,
    hashField: 'hash' | 'voiceHash',
    gen: string | undefined,
  ): boolean {
    const hash = fingerprint(fields);
    const row = this.state(rowKey);
    if (row && row[hashField] === hash) {
      if (gen === undefined || row.gen === gen) return false;
      // Unchanged, but a full enumeration must stamp it as seen (bookkeeping, not a change).
      this.put(rowKey, { fields: { gen }, changes: new Map() }, { ...row, gen });
      return false;
    }
    // Every row carries a generation from its start, so a later full enumeration's sweep can find it.
    const stamp = gen ?? (row ? undefined : '0');
    const at = new Date().toISOString();
    this.put(
      rowKey,
      {
        fields: { ...fields, [hashField]: hash, ...(stamp ? { gen: stamp } : {}) },
        create: !row,
        changes: new Map([[kind, { kind, id, op: 'upsert', at, data: { ...fields } }]]),
      },
      { ...row, [hashField]: hash, ...(stamp ? { gen: stamp } : {}) },
    );
    return true;
  }

  private remove(rowKey: string, kind: ChangeKind, id: string): void {
    if (!this.state(rowKey)) return;
    const at = new Date().toISOString();
    this.put(rowKey, { changes: new Map([[kind, { kind, id, op: 'delete', at }]]) }, null);
  }

  /** A page of users delta: upserts, and removals (`@removed`, soft or hard). */
  async users(entries: Record<string, unknown>[], gen?: string): Promise<void> {
    await this.load(entries.map((entry) => `${rowPrefix.user}${entry.id}`));
    for (const entry of entries) {
      const id = String(entry.id);
      const rowKey = `${rowPrefix.user}${id}`;
      if (entry['@removed']) this.remove(rowKey, 'user', id);
      else this.upsert(rowKey, 'user', id, userFields(entry), 'hash', gen);
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
    for (const entry of entries) {
      const id = String(entry.id);
      if (entry['@removed']) {
        await this.removeGroup(id);
        continue;
      }
      // A continuation entry carries only id and more members: no group fields to write.
      if ('displayName' in entry || 'mail' in entry)
        this.upsert(`${rowPrefix.group}${id}`, 'group', id, groupFields(entry), 'hash', gen);
      for (const member of members(entry)) {
        const rowKey = `${rowPrefix.member}${id}|${member.id}`;
        const memberId = `${id}|${member.id}`;
        const row = this.state(rowKey);
        if (member['@removed']) this.remove(rowKey, 'member', memberId);
        else if (!row) {
          const at = new Date().toISOString();
          const stamp = gen ?? '0';
          this.put(
            rowKey,
            {
              fields: { gen: stamp },
              create: true,
              changes: new Map([['member', { kind: 'member', id: memberId, op: 'upsert', at }]]),
            },
            { gen: stamp },
          );
        } else if (gen !== undefined && row.gen !== gen)
          this.put(rowKey, { fields: { gen }, changes: new Map() }, { ...row, gen });
      }
    }
  }

  /** A removed group takes its memberships with it: the entry names none, so find them. */
  private async removeGroup(id: string): Promise<void> {
    const prefix = `${rowPrefix.member}${id}|`;
    const stored = this.empty.has('member')
      ? new Map<string, RowState>()
      : await this.store.membershipKeys(this.tenantId, id);
    for (const [rowKey, state] of stored) if (!this.known.has(rowKey)) this.known.set(rowKey, state);
    const planned = [...this.known.keys()].filter((key) => key.startsWith(prefix));
    for (const rowKey of planned) this.remove(rowKey, 'member', rowKey.slice(rowPrefix.member.length));
    this.remove(`${rowPrefix.group}${id}`, 'group', id);
  }

  /**
   * A page of Teams user configurations: users' voice fields, written only when changed. The list has no delta,
   * so `index` (user id → stored voice fingerprint) says what is stored and keeps what the list showed.
   */
  voice(configurations: Record<string, unknown>[], index: SeenIndex): void {
    for (const configuration of configurations) {
      const id = String(configuration.id);
      const stored = index.get(id);
      if (stored === seen) continue;
      index.set(id, seen);
      const rowKey = `${rowPrefix.user}${id}`;
      this.known.set(rowKey, this.known.get(rowKey) ?? (stored === undefined ? null : { voiceHash: stored }));
      this.upsert(rowKey, 'voice', id, voiceFields(configuration as never), 'voiceHash', undefined);
    }
  }

  /** A page of Direct Routing number assignments, against `index` (number → stored fingerprint). */
  numbers(numbers: Record<string, unknown>[], index: SeenIndex): void {
    for (const number of numbers) {
      const id = String(number.telephoneNumber);
      const stored = index.get(id);
      if (stored === seen) continue;
      index.set(id, seen);
      const rowKey = `${rowPrefix.number}${id}`;
      this.known.set(rowKey, this.known.get(rowKey) ?? (stored === undefined ? null : { hash: stored }));
      this.upsert(rowKey, 'number', id, numberFields(number), 'hash', undefined);
    }
  }

  /** After a whole list was read: clears the voice fields of users it did not show. */
  sweepVoice(index: SeenIndex): void {
    const noVoiceHash = fingerprint(noVoice);
    for (const [id, stored] of index) {
      if (stored === seen || !stored || stored === noVoiceHash) continue;
      const rowKey = `${rowPrefix.user}${id}`;
      this.known.set(rowKey, this.known.get(rowKey) ?? { voiceHash: stored });
      this.upsert(rowKey, 'voice', id, noVoice, 'voiceHash', undefined);
    }
  }

  /** After a whole list was read: removes the numbers it did not show. */
  sweepNumbers(index: SeenIndex): void {
    for (const [id, stored] of index) {
      if (stored === seen) continue;
      const rowKey = `${rowPrefix.number}${id}`;
      this.known.set(rowKey, this.known.get(rowKey) ?? { hash: stored });
      this.remove(rowKey, 'number', id);
    }
  }

  /** After a full delta enumeration succeeded: removes rows of a kind it did not stamp with `gen`. */
  async sweep(kind: 'user' | 'group' | 'member', gen: string): Promise<void> {
    for await (const rowKey of this.store.unstamped(this.tenantId, kind, gen)) {
      if (this.state(rowKey)?.gen === gen) continue;
      this.known.set(rowKey, this.known.get(rowKey) ?? { gen: '' });
      this.remove(rowKey, kind, rowKey.slice(rowPrefix[kind].length));
    }
  }

  /** Stores what was planned: the feed's changes under `base`, then the rows. */
  async flush(base: string): Promise<Flushed> {
    const counts = Object.fromEntries(
      (['user', 'group', 'member', 'voice', 'number'] as const).map((kind) => [
        kind,
        { upserted: 0, deleted: 0 },
      ]),
    ) as ChangeCounts;
    const writes = [...this.pending.values()];
    const changes = writes.flatMap((write) => [...write.changes.values()]);
    for (const change of changes) counts[change.kind][change.op === 'delete' ? 'deleted' : 'upserted'] += 1;
    const fed = await this.store.feed.append(this.tenantId, base, changes);
    let transactions = fed.transactions;
    const byPartition = new Map<string, Write[]>();
    for (const write of writes) {
      const partition = replicaPartition(this.tenantId, write.rowKey);
      const list = byPartition.get(partition);
      if (list) list.push(write);
      else byPartition.set(partition, [write]);
    }
    for (const [partition, partitionWrites] of byPartition) {
      for (let start = 0; start < partitionWrites.length; start += maxTransactionOperations) {
        const chunk = partitionWrites.slice(start, start + maxTransactionOperations);
        try {
          await this.commit(partition, chunk, true);
        } catch (error) {
          // A row believed absent exists (a list showed an object twice across flushes): merge instead.
          if (!(error instanceof EntityExistsError)) throw error;
          await this.commit(partition, chunk, false);
        }
        transactions += 1;
      }
    }
    this.pending.clear();
    this.known.clear();
    return { counts, transactions, lastSeq: fed.lastSeq };
  }

  private async commit(partition: string, writes: Write[], insertNew: boolean): Promise<void> {
    const transaction = this.store.rows.transaction(partition);
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
