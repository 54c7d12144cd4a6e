import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { describe, expect, inject, it } from 'vitest';
import { ChangeFeed, nextFeedBase } from '../../src/lib/replication/change-feed.js';
import type { ReplicaRow } from '../../src/lib/replication/replica-flush.js';
import {
  ReplicaPlanner,
  type ReplicaReader,
  type SealedWrites,
} from '../../src/lib/replication/replica-planner.js';
import { replicaBucket } from '../../src/lib/replication/replica-rows.js';
import { ReplicaStore } from '../../src/lib/replication/replica-store.js';
import { SeenKeys } from '../../src/lib/replication/seen-keys.js';
import { EntityTable } from '../../src/lib/storage/entity-table.js';

function table<T extends object>(): EntityTable<T> {
  return new EntityTable<T>(
    TableClient.fromConnectionString(
      inject('storageConnectionString'),
      `writer${randomUUID().replaceAll('-', '')}`,
      { allowInsecureConnection: true },
    ),
  );
}

const tenantId = 'b5f2c1de-5a3e-4c1e-9d1f-2b7c8e9a0f11';
const user = (displayName: string) => ({
  id: 'u1',
  displayName,
  userPrincipalName: 'u1@contoso.example',
  mail: '',
  accountEnabled: true,
  usageLocation: 'GB',
});

async function freshStore() {
  const rows = table<ReplicaRow>();
  const store = new ReplicaStore(rows, new ChangeFeed(table<{ changes: string }>()));
  const stored = async () => {
    const keys: string[] = [];
    for await (const { entity } of rows.query(
      `PartitionKey ge '${tenantId}|' and PartitionKey lt '${tenantId}}'`,
    ))
      keys.push(`${entity.rowKey}=${entity.displayName ?? ''}`);
    return keys.sort();
  };
  /** Stores sealed writes under `base`, as the slice does, releasing them once stored. */
  const flush = async (sealed: SealedWrites, base: string) => {
    try {
      return await store.flush(tenantId, sealed.writes, base);
    } finally {
      sealed.release();
    }
  };
  return { store, stored, flush };
}

describe('the replica planner, planning while a flush is under way', () => {
  it('sees the rows a flush under way holds: the same user again is no write, a change is a merge', async () => {
    const { store, stored, flush } = await freshStore();
    const writer = new ReplicaPlanner(store, tenantId);
    await writer.users([user('Ann')]);
    const underWay = writer.seal();
    await writer.users([user('Ann')]);
    expect(writer.pendingWrites).toBe(0);
    await writer.users([user('Ann Lee')]);
    expect(writer.pendingWrites).toBe(1);
    const first = await flush(underWay, nextFeedBase());
    const second = await flush(writer.seal(), nextFeedBase(first.lastSeq));
    expect([first.counts.user, second.counts.user]).toEqual([
      { upserted: 1, deleted: 0 },
      { upserted: 1, deleted: 0 },
    ]);
    expect(await stored()).toEqual(['user|u1=Ann Lee']);
    const feed = await store.changes(tenantId, undefined, 10);
    expect(feed.map((change) => change.data?.displayName)).toEqual(['Ann', 'Ann Lee']);
  });

  it('removes a group with the memberships a flush under way is still storing', async () => {
    const { store, stored, flush } = await freshStore();
    const writer = new ReplicaPlanner(store, tenantId);
    await writer.groups([
      { id: 'g1', displayName: 'Sales', mail: '', 'members@delta': [{ id: 'u1' }, { id: 'u2' }] },
    ]);
    const underWay = writer.seal();
    await writer.groups([{ id: 'g1', '@removed': { reason: 'deleted' } }]);
    // Removals wait for the phase's end (the accidental-delete check), then become writes.
    await writer.releaseDeferred();
    const first = await flush(underWay, nextFeedBase());
    const second = await flush(writer.seal(), nextFeedBase(first.lastSeq));
    expect(second.counts.group).toEqual({ upserted: 0, deleted: 1 });
    expect(second.counts.member).toEqual({ upserted: 0, deleted: 2 });
    expect(await stored()).toEqual([]);
  });

  it('compares a full enumeration with the stored state read at once, and with what it stored itself since', async () => {
    const { store, stored, flush } = await freshStore();
    const firstSync = new ReplicaPlanner(store, tenantId);
    await firstSync.prepareFullComparison('user', '1');
    await firstSync.users([user('Ann'), { ...user('Bob'), id: 'u2' }], '1');
    const synced = await flush(firstSync.seal(), nextFeedBase());

    // The delta links expired: everything is enumerated again (generation 2), compared with the index.
    const again = new ReplicaPlanner(store, tenantId);
    await again.prepareFullComparison('user', '2');
    await again.users([{ ...user('Bob'), id: 'u2' }], '2');
    expect(again.pendingWrites).toBe(0);
    expect(again.takeSeenMarks()).toHaveLength(1);
    await again.users([user('Ann Lee')], '2');
    expect(again.pendingWrites).toBe(1);
    const renamed = await flush(again.seal(), nextFeedBase(synced.lastSeq));
    // Graph shows Ann again on a later page: the index still holds her old fingerprint, the row her new one.
    await again.users([user('Ann Lee')], '2');
    expect(again.pendingWrites).toBe(0);
    expect(renamed.counts.user).toEqual({ upserted: 1, deleted: 0 });
    expect(await stored()).toEqual(['user|u1=Ann Lee', 'user|u2=Bob']);
    const feed = await store.changes(tenantId, undefined, 10);
    expect(feed.map((change) => change.data?.displayName)).toEqual(['Ann', 'Bob', 'Ann Lee']);
  });

  it('keeps the states a page read when a flush is sealed and stored while the page waits for a removed group', async () => {
    const { store, flush } = await freshStore();
    const sales = { id: 'g1', displayName: 'Sales', mail: '', 'members@delta': [{ id: 'u1' }, { id: 'u2' }] };
    const first = new ReplicaPlanner(store, tenantId);
    await first.groups([{ id: 'g0', displayName: 'Gone', mail: '', 'members@delta': [{ id: 'u3' }] }, sales]);
    const synced = await flush(first.seal(), nextFeedBase());

    // The next page removes g0 and shows g1 unchanged; while it reads g0's memberships, the slice stores a flush.
    let planner: ReplicaPlanner | undefined;
    const reader: ReplicaReader = Object.assign(Object.create(store) as ReplicaStore, {
      membershipKeys: async (tenant: string, groupId: string) => {
        if (!planner) throw new Error('no planner yet');
        await flush(planner.seal(), nextFeedBase(synced.lastSeq));
        return store.membershipKeys(tenant, groupId);
      },
    });
    planner = new ReplicaPlanner(reader, tenantId);
    await planner.groups([{ id: 'g0', '@removed': { reason: 'deleted' } }, sales]);
    // g1 and its memberships are as stored: nothing to write (a lost state planned them anew, announced twice).
    expect(planner.pendingWrites).toBe(0);
    expect(planner.deferredCounts()).toMatchObject({ group: 1, member: 1 });
  });

  it('ends a full enumeration by reading again only the partitions that hold a row it neither saw nor stored', async () => {
    const { store, stored, flush } = await freshStore();
    const people = Array.from({ length: 40 }, (_, i) => ({ ...user(`User ${i}`), id: `u${i}` }));
    const firstSync = new ReplicaPlanner(store, tenantId);
    await firstSync.prepareFullComparison('user', '1');
    await firstSync.users(people, '1');
    const synced = await flush(firstSync.seal(), nextFeedBase());

    const sweptIn: (number[] | undefined)[] = [];
    const reader: ReplicaReader = Object.assign(Object.create(store) as ReplicaStore, {
      unstamped: (tenant: string, kind: 'user', gen: string, buckets?: number[]) => {
        sweptIn.push(buckets);
        return store.unstamped(tenant, kind, gen, buckets);
      },
    });
    // Generation 2 shows everyone but u7 unchanged, and u3 renamed (stored, stamped 2).
    const again = new ReplicaPlanner(reader, tenantId);
    await again.prepareFullComparison('user', '2');
    const shown = people.filter((person) => person.id !== 'u7');
    const now = shown.map((person) => (person.id === 'u3' ? { ...person, displayName: 'Renamed' } : person));
    await again.users(now, '2');
    const seen = new SeenKeys();
    for (const mark of again.takeSeenMarks()) seen.add(mark);
    expect(seen.count).toBe(38);
    const renamed = await flush(again.seal(), nextFeedBase(synced.lastSeq));
    await again.sweep('user', '2', seen);
    expect(sweptIn).toEqual([[replicaBucket('user|u7')]]);
    expect(again.deferredCounts().user).toBe(1);
    await again.releaseDeferred();
    await flush(again.seal(), nextFeedBase(renamed.lastSeq));
    const left = await stored();
    expect(left).toHaveLength(39);
    expect(left).not.toContain('user|u7=User 7');
    expect(left).toContain('user|u3=Renamed');

    // Everyone shown again and nothing to remove: no partition is read.
    const third = new ReplicaPlanner(reader, tenantId);
    await third.prepareFullComparison('user', '3');
    await third.users(now, '3');
    expect(third.pendingWrites).toBe(0);
    const all = new SeenKeys();
    for (const mark of third.takeSeenMarks()) all.add(mark);
    await third.sweep('user', '3', all);
    expect(sweptIn.at(-1)).toEqual([]);
    expect(third.deferredCounts().user).toBe(0);
  });
});
