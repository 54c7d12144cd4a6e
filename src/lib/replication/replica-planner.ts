import type { PlannedWrite } from './planned-write.js';
import {
  fingerprint,
  groupFields,
  type ObjectKind,
  replicaBuckets,
  rowPrefix,
  userFields,
} from './replica-rows.js';
import { byKind } from './replicated-kinds.js';
import { SeenKeys, seenMark } from './seen-keys.js';
import { fingerprintBits, type StoredStateIndex } from './stored-state-index.js';

/** What planning a write needs to know of a stored row. */
export interface RowState {
  hash?: string;
  /** 64 bits of the fingerprint instead of `hash` (from a StoredStateIndex). */
  fingerprint?: bigint;
  gen?: string;
}

/** Whether a stored row's fingerprint is `hash`. */
const sameFingerprint = (row: RowState, hash: string): boolean =>
  row.hash !== undefined
    ? row.hash === hash
    : row.fingerprint !== undefined && row.fingerprint === fingerprintBits(hash);

/** The reads planning needs of the stored replica. */
export interface ReplicaReader {
  /** The stored state of rows (absent ones missing from the map). */
  states(tenantId: string, rowKeys: string[]): Promise<Map<string, RowState>>;
  /** Whether the tenant has no row of a kind yet. */
  isEmpty(tenantId: string, kind: ObjectKind): Promise<boolean>;
  /** The stored state of every row of a kind (for a full enumeration). */
  stateIndex(tenantId: string, kind: ObjectKind, generation: string): Promise<StoredStateIndex>;
  /** The stored memberships of a group. */
  membershipKeys(tenantId: string, groupId: string): Promise<Map<string, RowState>>;
  /** Row keys of a kind not stamped with `gen` (only in the given buckets, when given). */
  unstamped(tenantId: string, kind: ObjectKind, gen: string, buckets?: number[]): AsyncIterable<string>;
}

/** Planned writes taken out to be stored; until `release`, planning sees them as planned. */
export interface SealedWrites {
  writes: PlannedWrite[];
  release(): void;
}

/** Planned writes that make about one full transaction in most of a tenant's partitions. */
export const writesPerFlush = replicaBuckets * 90;

/** An index of a whole list's stored fingerprints (id → hash); an id the list showed is marked seen. */
export type SeenIndex = Map<string, string>;
const seen = '\u0000seen';

/** Marks an id as shown by the list already (in an earlier slice of the run). */
export function markSeen(index: SeenIndex, id: string): void {
  if (index.has(id)) index.set(id, seen);
}

/**
 * Plans one tenant's replica writes for one job: a row is written only when its fingerprint changed, and every
 * write that changes something reports it in the change feed. What is planned stays in memory until it is
 * sealed and stored (replica-flush.ts); the caller checkpoints its position only after that.
 */
export class ReplicaPlanner {
  private pending = new Map<string, PlannedWrite>();
  /** Rows' state as stored or as planned, for rows this flush touched or read. */
  private known = new Map<string, RowState | null>();
  /** The same for a flush under way: what it stores is not yet in the table. */
  private sealed: Map<string, RowState | null> | undefined;
  /**
   * The rows of the page being planned. A flush may be sealed and stored while the page waits (for its reads, or a
   * removed group's memberships); its release keeps these rows' states, which the page read once and goes on using.
   */
  private pinned = new Set<string>();
  private readonly empty = new Set<ObjectKind>();
  /** For a full enumeration, every stored row of a kind, read at once (rows stored since: `storedHere`). */
  private readonly indexes = new Map<ObjectKind, StoredStateIndex>();
  /** Rows this planner's flushes stored since the indexes were read: the indexes are out of date for them. */
  private storedHere = new SeenKeys();
  /**
   * Removals held back until their phase ends, when the run decides whether to store them (the accidental-delete
   * check): the row's state before it was removed (undefined when not known), and when it was removed.
   */
  private readonly deferred = new Map<string, { state?: RowState; at: string }>();
  /** Deferrals and their cancellations since the last `takeDeferralLog`, to save with a checkpoint. */
  private deferralLog: string[] = [];
  /** Marks of the rows a full enumeration saw unchanged since the last `takeSeenMarks`, to save with a checkpoint. */
  private seenMarks: string[] = [];
  /** When the changes planned now happened (one timestamp per page). */
  private at = '';

  constructor(
    private readonly replica: ReplicaReader,
    readonly tenantId: string,
  ) {}

  get pendingWrites(): number {
    return this.pending.size;
  }

  /**
   * Before a full enumeration compares a kind with what is stored: nothing to read for a kind the tenant has no rows
   * of yet (a first sync), else every stored row's state read at once (a re-enumeration, or a first sync resumed),
   * not row by row.
   */
  async prepareFullComparison(kind: ObjectKind, generation: string): Promise<void> {
    this.indexes.delete(kind);
    if (await this.replica.isEmpty(this.tenantId, kind)) {
      this.empty.add(kind);
      return;
    }
    this.empty.delete(kind);
    this.indexes.set(kind, await this.replica.stateIndex(this.tenantId, kind, generation));
    this.storedHere = new SeenKeys();
  }

  private async load(keys: string[]): Promise<void> {
    this.pinned = new Set(keys);
    const unknown: string[] = [];
    for (const key of new Set(keys)) {
      if (this.known.has(key) || this.sealed?.has(key)) continue;
      const kind = key.slice(0, key.indexOf('|')) as ObjectKind;
      if (this.empty.has(kind)) continue;
      const index = this.indexes.get(kind);
      if (index && !this.storedHere.has(key)) this.known.set(key, index.get(key) ?? null);
      else unknown.push(key);
    }
    const found = await this.replica.states(this.tenantId, unknown);
    for (const key of unknown) this.known.set(key, found.get(key) ?? null);
  }

  private state(rowKey: string): RowState | null {
    if (this.deferred.has(rowKey)) return null;
    if (this.known.has(rowKey)) return this.known.get(rowKey) ?? null;
    return this.sealed?.get(rowKey) ?? null;
  }

  /** An object removed earlier in the phase comes back: its removal is cancelled, the stored row stands. */
  private restore(rowKey: string): void {
    const removal = this.deferred.get(rowKey);
    if (!removal) return;
    this.deferred.delete(rowKey);
    this.deferralLog.push(`-${rowKey}`);
    this.known.set(rowKey, removal.state ?? this.known.get(rowKey) ?? this.sealed?.get(rowKey) ?? {});
  }

  private put(rowKey: string, write: Omit<PlannedWrite, 'rowKey'>, now: RowState | null): void {
    this.known.set(rowKey, now);
    const earlier = this.pending.get(rowKey);
    const next: PlannedWrite = { rowKey, ...write };
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
    this.restore(rowKey);
    const hash = fingerprint(fields);
    const row = this.state(rowKey);
    if (row && sameFingerprint(row, hash)) {
      this.seenUnchanged(rowKey, row, gen);
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

  /** A full enumeration (`gen`) saw a stored row unchanged: no write, but its sweep must know it was seen. */
  private seenUnchanged(rowKey: string, row: RowState, gen: string | undefined): void {
    if (gen !== undefined && row.gen !== gen) this.seenMarks.push(seenMark(rowKey));
  }

  /**
   * Plans a removal: held back (deferred) until the phase ends, unless the row was planned in this flush and never
   * stored (then nothing is stored or reported).
   */
  private remove(rowKey: string): void {
    const row = this.state(rowKey);
    if (!row) return;
    if (this.pending.get(rowKey)?.create) {
      this.pending.delete(rowKey);
      this.known.set(rowKey, null);
      return;
    }
    this.deferred.set(rowKey, { state: row, at: this.at });
    this.deferralLog.push(`+${rowKey}`);
  }

  /** Removals held back so far, by kind. */
  deferredCounts(): Record<ObjectKind, number> {
    const counts = byKind(() => 0);
    for (const rowKey of this.deferred.keys())
      counts[rowKey.slice(0, rowKey.indexOf('|')) as ObjectKind] += 1;
    return counts;
  }

  /**
   * The phase may remove what it held back: each becomes a planned delete (reported when it was removed). A
   * removal replayed from an earlier slice is planned only while its row is still stored.
   */
  async releaseDeferred(): Promise<void> {
    const unknown = [...this.deferred].filter(([, removal]) => !removal.state).map(([rowKey]) => rowKey);
    const stored = await this.replica.states(this.tenantId, unknown);
    for (const [rowKey, removal] of this.deferred) {
      const state = removal.state ?? stored.get(rowKey);
      if (!state) continue;
      this.known.set(rowKey, state);
      this.put(rowKey, { change: { op: 'delete', at: removal.at } }, null);
    }
    this.deferred.clear();
  }

  /** The phase's removals are held: nothing of them is stored, and the rows stand as they are. */
  discardDeferred(): void {
    for (const [rowKey, removal] of this.deferred) {
      if (removal.state) this.known.set(rowKey, removal.state);
      else this.known.delete(rowKey);
    }
    this.deferred.clear();
  }

  /** Deferrals (`+rowKey`) and cancellations (`-rowKey`) since the last call, to save with a checkpoint. */
  takeDeferralLog(): string[] {
    const log = this.deferralLog;
    this.deferralLog = [];
    return log;
  }

  /** Marks of the rows seen unchanged since the last call, to save with a checkpoint (see SeenKeys). */
  /** Marks waiting for the next `takeSeenMarks`, in the characters they take saved (a mark and its newline). */
  get seenMarkChars(): number {
    return this.seenMarks.length * 12;
  }

  takeSeenMarks(): string[] {
    const marks = this.seenMarks;
    this.seenMarks = [];
    return marks;
  }

  /** Replays deferrals saved by earlier slices of the phase (their rows' states are read when needed). */
  replayDeferrals(log: Iterable<string>): void {
    for (const entry of log) {
      const rowKey = entry.slice(1);
      if (entry.startsWith('+')) this.deferred.set(rowKey, { at: this.at || new Date().toISOString() });
      else this.deferred.delete(rowKey);
    }
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
        if (!member['@removed']) this.restore(rowKey);
        const row = this.state(rowKey);
        if (member['@removed']) this.remove(rowKey);
        else if (!row) {
          const stamp = gen ?? '0';
          this.put(
            rowKey,
            { fields: { gen: stamp }, create: true, change: { op: 'upsert', at: this.at } },
            { gen: stamp },
          );
        } else this.seenUnchanged(rowKey, row, gen);
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
   * A page of a whole list (no delta: Teams configurations, Direct Routing numbers), each item written only when
   * changed; `index` (id → stored fingerprint) says what is stored and keeps what the list showed.
   */
  list(kind: ObjectKind, items: { id: string; fields: object }[], index: SeenIndex): void {
    this.tick();
    for (const { id, fields } of items) {
      const stored = index.get(id);
      if (stored === seen) continue;
      index.set(id, seen);
      const rowKey = `${rowPrefix[kind]}${id}`;
      this.known.set(rowKey, stored === undefined ? null : { hash: stored });
      this.upsert(rowKey, fields, undefined);
    }
  }

  /** After a whole list was read: removes the rows of what it did not show. */
  sweepListed(kind: ObjectKind, index: SeenIndex): void {
    this.tick();
    for (const [id, stored] of index) {
      if (stored === seen) continue;
      const rowKey = `${rowPrefix[kind]}${id}`;
      this.known.set(rowKey, { hash: stored });
      this.remove(rowKey);
    }
  }

  /**
   * After a full delta enumeration succeeded: removes the rows of a kind it neither wrote (stamped with `gen`)
   * nor saw unchanged (`seen`).
   */
  async sweep(kind: ObjectKind, gen: string, seen: SeenKeys): Promise<void> {
    this.tick();
    // With the index of what was stored, only the partitions of rows it did not see are read again.
    const buckets = this.empty.has(kind) ? [] : this.indexes.get(kind)?.bucketsNotSeen(seen, this.storedHere);
    for await (const rowKey of this.replica.unstamped(this.tenantId, kind, gen, buckets)) {
      if (this.state(rowKey)?.gen === gen || seen.has(rowKey)) continue;
      this.known.set(rowKey, this.known.get(rowKey) ?? { gen: '' });
      this.remove(rowKey);
    }
  }

  /**
   * Takes what was planned so far out to be stored, so planning can go on while it is: until the sealed writes
   * are released (stored), planning sees those rows as planned rather than as the table holds them.
   */
  seal(): SealedWrites {
    const writes = [...this.pending.values()];
    const sealed = this.known;
    this.pending = new Map();
    this.known = new Map();
    this.sealed = sealed;
    return {
      writes,
      release: () => {
        if (this.indexes.size > 0) for (const write of writes) this.storedHere.add(seenMark(write.rowKey));
        for (const key of this.pinned)
          if (!this.known.has(key) && sealed.has(key)) this.known.set(key, sealed.get(key) ?? null);
        if (this.sealed === sealed) this.sealed = undefined;
      },
    };
  }
}
