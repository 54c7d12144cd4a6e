import { monotonicFactory } from 'ulid';
import type { EntityTable } from '../storage/entity-table.js';
import {
  fingerprint,
  groupFields,
  kindRange,
  noVoice,
  numberFields,
  type ObjectKind,
  rowPrefix,
  userFields,
  voiceFields,
} from './replica-rows.js';

type Row = Record<string, unknown> & { partitionKey: string; rowKey: string };

export interface ApplyCounts {
  upserted: number;
  deleted: number;
  unchanged: number;
  transactions: number;
}

interface Write {
  rowKey: string;
  /** Properties to merge in; undefined to delete the row. */
  fields?: Record<string, unknown>;
  /** The change it reports; none for bookkeeping (a full enumeration stamping a row it saw unchanged). */
  change?: { kind: ObjectKind | 'voice'; id: string; op: 'upsert' | 'delete' };
  /** The row is known to be absent: insert it (cheaper than a merge; a wrong belief fails the transaction). */
  create?: boolean;
}

export interface ChangeEntry {
  seq: string;
  kind: ObjectKind | 'voice';
  id: string;
  op: 'upsert' | 'delete';
  at: string;
}

const nextUlid = monotonicFactory();
/** Each write takes two operations (the row and its change), so 50 writes fill a 100-operation transaction. */
const writesPerTransaction = 50;

/**
 * The replica of one tenant, in its partition of the `Replica` table: users (directory and voice fields), groups,
 * memberships and Direct Routing numbers, plus the change feed. A write happens only when a row's fingerprint
 * changed, and always in the same transaction as its change row, so the feed never misses or repeats a write.
 * Rows seen by a full enumeration carry its generation, so what it did not see can be removed after it succeeded.
 */
export class ReplicaStore {
  transactions = 0;
  /** The newest change written through this store (a change-feed cursor). */
  lastSeq: string | undefined;

  constructor(private readonly table: EntityTable<Row>) {}

  private async current(
    tenantId: string,
    rowKeys: string[],
    known?: Map<string, Row>,
  ): Promise<Map<string, Row>> {
    if (known) return known;
    const rows = new Map<string, Row>();
    for (const rowKey of rowKeys) {
      const stored = await this.table.get(tenantId, rowKey);
      if (stored) rows.set(rowKey, stored.entity);
    }
    return rows;
  }

  /** Every row of a kind, for comparing a full enumeration without one read per object. */
  async index(tenantId: string, kind: keyof typeof rowPrefix): Promise<Map<string, Row>> {
    const rows = new Map<string, Row>();
    const filter = `PartitionKey eq '${tenantId}' and ${kindRange(kind)}`;
    for await (const { entity } of this.table.query(filter)) rows.set(entity.rowKey, entity);
    return rows;
  }

  private async commit(tenantId: string, writes: Write[], counts: ApplyCounts): Promise<void> {
    const at = new Date().toISOString();
    for (let start = 0; start < writes.length; start += writesPerTransaction) {
      const transaction = this.table.transaction(tenantId);
      for (const write of writes.slice(start, start + writesPerTransaction)) {
        if (write.fields && write.create) transaction.insert({ rowKey: write.rowKey, ...write.fields });
        else if (write.fields) transaction.merge({ rowKey: write.rowKey, ...write.fields });
        else transaction.deleteUnconditionally(write.rowKey);
        if (write.change) {
          const seq = nextUlid();
          transaction.insert({ rowKey: `${rowPrefix.change}${seq}`, ...write.change, at });
          this.lastSeq = seq;
        }
      }
      await transaction.commit();
      counts.transactions += 1;
      this.transactions += 1;
    }
    for (const write of writes) {
      if (!write.change) counts.unchanged += 1;
      else if (write.fields) counts.upserted += 1;
      else counts.deleted += 1;
    }
  }

  private plan(
    existing: Map<string, Row>,
    rowKey: string,
    fields: object,
    hashField: string,
    gen: number | undefined,
    genField: string,
    change: Write['change'],
  ): Write | 'unchanged' {
    const hash = fingerprint(fields);
    const row = existing.get(rowKey);
    if (row && row[hashField] === hash) {
      // Unchanged, but a full enumeration must still stamp it as seen (bookkeeping, not a change).
      if (gen !== undefined && row[genField] !== gen) return { rowKey, fields: { [genField]: gen } };
      return 'unchanged';
    }
    return {
      rowKey,
      fields: { ...fields, [hashField]: hash, ...(gen !== undefined ? { [genField]: gen } : {}) },
      change,
      create: !row,
    };
  }

  /** A page of users delta: upserts, and removals (`@removed`, soft or hard). */
  async applyUsers(
    tenantId: string,
    entries: Record<string, unknown>[],
    gen?: number,
    known?: Map<string, Row>,
  ): Promise<ApplyCounts> {
    const counts: ApplyCounts = { upserted: 0, deleted: 0, unchanged: 0, transactions: 0 };
    const keys = entries.map((entry) => `${rowPrefix.user}${entry.id}`);
    const existing = await this.current(tenantId, keys, known);
    const writes: Write[] = [];
    for (const entry of entries) {
      const rowKey = `${rowPrefix.user}${entry.id}`;
      const id = String(entry.id);
      if (entry['@removed']) {
        if (existing.has(rowKey)) writes.push({ rowKey, change: { kind: 'user', id, op: 'delete' } });
        existing.delete(rowKey);
        continue;
      }
      const planned = this.plan(existing, rowKey, userFields(entry), 'hash', gen, 'gen', {
        kind: 'user',
        id,
        op: 'upsert',
      });
      if (planned === 'unchanged') counts.unchanged += 1;
      else writes.push(planned);
    }
    await this.commit(tenantId, dedupe(writes), counts);
    return counts;
  }

  /** A page of groups delta with `members@delta`: group rows and membership rows (a group may come in parts). */
  async applyGroups(
    tenantId: string,
    entries: Record<string, unknown>[],
    gen?: number,
    known?: { groups: Map<string, Row>; members: Map<string, Row> },
  ): Promise<ApplyCounts> {
    const counts: ApplyCounts = { upserted: 0, deleted: 0, unchanged: 0, transactions: 0 };
    const groupKeys = entries.map((entry) => `${rowPrefix.group}${entry.id}`);
    const memberKeys = entries.flatMap((entry) =>
      ((entry['members@delta'] as { id: string }[] | undefined) ?? []).map(
        (member) => `${rowPrefix.member}${entry.id}|${member.id}`,
      ),
    );
    const groups = await this.current(tenantId, groupKeys, known?.groups);
    const members = await this.current(tenantId, memberKeys, known?.members);
    if (!known) {
      // A removed group takes its memberships with it: find them, since the entry names none.
      for (const entry of entries.filter((candidate) => candidate['@removed'])) {
        const filter = `PartitionKey eq '${tenantId}' and RowKey gt '${rowPrefix.member}${entry.id}|' and RowKey lt '${rowPrefix.member}${entry.id}}'`;
        for await (const { entity } of this.table.query(filter)) members.set(entity.rowKey, entity);
      }
    }
    const writes: Write[] = [];
    for (const entry of entries) {
      const id = String(entry.id);
      const rowKey = `${rowPrefix.group}${id}`;
      if (entry['@removed']) {
        if (groups.has(rowKey)) writes.push({ rowKey, change: { kind: 'group', id, op: 'delete' } });
        groups.delete(rowKey);
        for (const memberKey of [...members.keys()].filter((key) =>
          key.startsWith(`${rowPrefix.member}${id}|`),
        )) {
          writes.push({
            rowKey: memberKey,
            change: { kind: 'member', id: memberKey.slice(rowPrefix.member.length), op: 'delete' },
          });
          members.delete(memberKey);
        }
        continue;
      }
      // A continuation entry carries only id and more members: no group fields to write.
      if ('displayName' in entry || 'mail' in entry) {
        const planned = this.plan(groups, rowKey, groupFields(entry), 'hash', gen, 'gen', {
          kind: 'group',
          id,
          op: 'upsert',
        });
        if (planned === 'unchanged') counts.unchanged += 1;
        else {
          writes.push(planned);
          groups.set(rowKey, { partitionKey: tenantId, rowKey, ...(planned.fields ?? {}) } as Row);
        }
      }
      for (const member of (entry['members@delta'] as { id: string; '@removed'?: unknown }[] | undefined) ??
        []) {
        const memberKey = `${rowPrefix.member}${id}|${member.id}`;
        const change = { kind: 'member' as const, id: `${id}|${member.id}` };
        if (member['@removed']) {
          if (members.has(memberKey)) writes.push({ rowKey: memberKey, change: { ...change, op: 'delete' } });
          members.delete(memberKey);
        } else if (!members.has(memberKey)) {
          writes.push({
            rowKey: memberKey,
            fields: gen !== undefined ? { gen } : {},
            change: { ...change, op: 'upsert' },
            create: true,
          });
          members.set(memberKey, { partitionKey: tenantId, rowKey: memberKey, gen } as Row);
        } else if (gen !== undefined && members.get(memberKey)?.gen !== gen) {
          writes.push({ rowKey: memberKey, fields: { gen } });
          members.set(memberKey, { partitionKey: tenantId, rowKey: memberKey, gen } as Row);
        } else counts.unchanged += 1;
      }
    }
    await this.commit(tenantId, dedupe(writes), counts);
    return counts;
  }

  /**
   * A page of Teams user configurations: the voice fields of users, written only when changed. These lists have
   * no delta, so what was seen is kept by the caller (`seen`) rather than stamped on every row.
   */
  async applyVoice(
    tenantId: string,
    configurations: Record<string, unknown>[],
    known: Map<string, Row>,
    seen: Set<string>,
  ): Promise<ApplyCounts> {
    const counts: ApplyCounts = { upserted: 0, deleted: 0, unchanged: 0, transactions: 0 };
    const writes: Write[] = [];
    for (const configuration of configurations) {
      const id = String(configuration.id);
      seen.add(`${rowPrefix.user}${id}`);
      const planned = this.plan(
        known,
        `${rowPrefix.user}${id}`,
        voiceFields(configuration as never),
        'voiceHash',
        undefined,
        'voiceGen',
        { kind: 'voice', id, op: 'upsert' },
      );
      if (planned === 'unchanged') counts.unchanged += 1;
      else writes.push(planned);
    }
    await this.commit(tenantId, dedupe(writes), counts);
    return counts;
  }

  async applyNumbers(
    tenantId: string,
    numbers: Record<string, unknown>[],
    known: Map<string, Row>,
    seen: Set<string>,
  ): Promise<ApplyCounts> {
    const counts: ApplyCounts = { upserted: 0, deleted: 0, unchanged: 0, transactions: 0 };
    const writes: Write[] = [];
    for (const number of numbers) {
      const id = String(number.telephoneNumber);
      seen.add(`${rowPrefix.number}${id}`);
      const planned = this.plan(
        known,
        `${rowPrefix.number}${id}`,
        numberFields(number),
        'hash',
        undefined,
        'gen',
        { kind: 'number', id, op: 'upsert' },
      );
      if (planned === 'unchanged') counts.unchanged += 1;
      else writes.push(planned);
    }
    await this.commit(tenantId, dedupe(writes), counts);
    return counts;
  }

  /** After a full delta enumeration succeeded: removes rows of a kind it did not stamp with `gen`. */
  async sweep(tenantId: string, kind: 'user' | 'group' | 'member', gen: number): Promise<ApplyCounts> {
    const counts: ApplyCounts = { upserted: 0, deleted: 0, unchanged: 0, transactions: 0 };
    const writes: Write[] = [];
    for (const [rowKey, row] of await this.index(tenantId, kind)) {
      if (row.gen !== gen)
        writes.push({ rowKey, change: { kind, id: rowKey.slice(rowKey.indexOf('|') + 1), op: 'delete' } });
    }
    await this.commit(tenantId, writes, counts);
    return counts;
  }

  /**
   * After a whole list was read (Teams configurations, numbers): clears the voice fields of users it did not
   * list, or removes numbers it did not list.
   */
  async sweepUnseen(tenantId: string, kind: 'voice' | 'number', seen: Set<string>): Promise<ApplyCounts> {
    const counts: ApplyCounts = { upserted: 0, deleted: 0, unchanged: 0, transactions: 0 };
    const writes: Write[] = [];
    const noVoiceHash = fingerprint(noVoice);
    for (const [rowKey, row] of await this.index(tenantId, kind === 'voice' ? 'user' : 'number')) {
      if (seen.has(rowKey)) continue;
      const id = rowKey.slice(rowKey.indexOf('|') + 1);
      if (kind === 'number') writes.push({ rowKey, change: { kind: 'number', id, op: 'delete' } });
      else if (row.voiceHash && row.voiceHash !== noVoiceHash) {
        writes.push({
          rowKey,
          fields: { ...noVoice, voiceHash: noVoiceHash },
          change: { kind: 'voice', id, op: 'upsert' },
        });
      }
    }
    await this.commit(tenantId, writes, counts);
    return counts;
  }

  /** Changes after `cursor` (a change's seq), oldest first. */
  async changes(tenantId: string, cursor: string | undefined, top: number): Promise<ChangeEntry[]> {
    const from = cursor
      ? `RowKey gt '${rowPrefix.change}${cursor.replaceAll("'", "''")}'`
      : `RowKey ge '${rowPrefix.change}'`;
    const filter = `PartitionKey eq '${tenantId}' and ${from} and RowKey lt 'change}'`;
    const changes: ChangeEntry[] = [];
    for await (const { entity } of this.table.query(filter)) {
      changes.push({
        seq: entity.rowKey.slice(rowPrefix.change.length),
        kind: entity.kind as ChangeEntry['kind'],
        id: String(entity.id),
        op: entity.op as ChangeEntry['op'],
        at: String(entity.at),
      });
      if (changes.length === top) break;
    }
    return changes;
  }
}

/** A row may be named once per transaction: the last write for a row wins. */
function dedupe(writes: Write[]): Write[] {
  const byRow = new Map<string, Write>();
  for (const write of writes) {
    const earlier = byRow.get(write.rowKey);
    if (earlier?.fields && write.fields) {
      const create = earlier.create && write.create;
      byRow.set(write.rowKey, { ...write, fields: { ...earlier.fields, ...write.fields }, create });
    } else byRow.set(write.rowKey, write);
  }
  return [...byRow.values()];
}
