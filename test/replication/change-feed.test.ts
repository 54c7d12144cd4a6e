import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { decodeTime } from 'ulid';
import { describe, expect, inject, it } from 'vitest';
import {
  type Change,
  ChangeFeed,
  cursorPattern,
  nextFeedBase,
} from '../../src/lib/replication/change-feed.js';
import { EntityTable } from '../../src/lib/storage/entity-table.js';

function freshFeed(): { feed: ChangeFeed; table: EntityTable<{ changes: string }> } {
  const client = TableClient.fromConnectionString(
    inject('storageConnectionString'),
    `feed${randomUUID().replaceAll('-', '')}`,
    { allowInsecureConnection: true },
  );
  const table = new EntityTable<{ changes: string }>(client);
  return { feed: new ChangeFeed(table), table };
}

const tenantId = '4d0c7a52-9a41-4c43-a3a6-0f4c1b6f2f10';
const changes = (count: number, from = 0): Change[] =>
  Array.from({ length: count }, (_, i) => ({
    kind: 'user',
    id: `user-${from + i}`,
    op: 'upsert',
    at: '2026-11-26T08:00:00.000Z',
    data: { displayName: `Person ${from + i}`, note: 'x'.repeat(200) },
  }));

describe('the change feed', () => {
  it('packs many changes into few rows and reads them back in order, from any cursor', async () => {
    const { feed, table } = freshFeed();
    const first = nextFeedBase();
    const appended = await feed.append(tenantId, first, changes(1000));
    const second = nextFeedBase(first);
    await feed.append(tenantId, second, changes(5, 1000));
    const rows = [];
    for await (const row of table.query(`PartitionKey eq '${tenantId}'`)) rows.push(row);
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.length).toBeLessThan(20);
    expect(appended.transactions).toBe(1);

    const all = await feed.read(tenantId, undefined, 10_000);
    expect(all.map((change) => change.id)).toEqual(changes(1005).map((change) => change.id));
    expect(all.every((change) => cursorPattern.test(change.seq))).toBe(true);
    expect([...all.map((change) => change.seq)].sort()).toEqual(all.map((change) => change.seq));
    expect(all[999]?.seq).toBe(appended.lastSeq);
    expect(all[3]?.data).toEqual(changes(1, 3)[0]?.data);

    // A cursor in the middle of a batch, at a batch's end, and at the end.
    const middle = await feed.read(tenantId, all[510]?.seq, 3);
    expect(middle.map((change) => change.id)).toEqual(['user-511', 'user-512', 'user-513']);
    const afterFirstFlush = await feed.read(tenantId, appended.lastSeq, 100);
    expect(afterFirstFlush.map((change) => change.id)).toEqual(changes(5, 1000).map((change) => change.id));
    expect(await feed.read(tenantId, all.at(-1)?.seq, 100)).toEqual([]);
  });

  it('finds the flushes stored from a base on, with what they wrote to their rows, and serves none of that', async () => {
    const { feed } = freshFeed();
    const settled = nextFeedBase();
    await feed.append(tenantId, settled, changes(3));
    const next = nextFeedBase(settled);
    const cutShort = nextFeedBase(next);
    const stored = changes(400, 3).map((change) => ({
      ...change,
      row: { hash: `h-${change.id}`, gen: '4' },
    }));
    const appended = await feed.append(tenantId, cutShort, stored);

    const unsettled = await feed.unsettled(tenantId, next);
    expect(unsettled.map((flush) => flush.base)).toEqual([cutShort]);
    expect(unsettled[0]?.changes).toEqual(stored);
    expect(unsettled[0]?.lastSeq).toBe(appended.lastSeq);
    expect(await feed.unsettled(tenantId, nextFeedBase(cutShort))).toEqual([]);
    expect((await feed.unsettled(tenantId, undefined)).map((flush) => flush.base)).toEqual([
      settled,
      cutShort,
    ]);

    const served = await feed.read(tenantId, undefined, 10_000);
    expect(served).toHaveLength(403);
    expect(served.some((change) => 'row' in change)).toBe(false);
  });

  it('keeps a transaction under 4 MiB when names take three bytes a character', async () => {
    const { feed } = freshFeed();
    const wide = Array.from(
      { length: 5000 },
      (_, i): Change => ({
        kind: 'user',
        id: `user-${i}`,
        op: 'upsert',
        at: '2026-11-26T08:00:00.000Z',
        data: { displayName: '名'.repeat(250) },
      }),
    );
    const appended = await feed.append(tenantId, nextFeedBase(), wide);
    expect(appended.transactions).toBe(2);
    const read = await feed.read(tenantId, undefined, 10_000);
    expect(read.map((change) => change.data?.displayName)).toEqual(
      wide.map((change) => change.data?.displayName),
    );
  });

  it('hands out later bases even when the last one came from a clock ahead of this one', () => {
    const ahead = nextFeedBase(nextFeedBase()).replace(/^.{10}/, '01ZZZZZZZZ');
    const next = nextFeedBase(ahead);
    expect(next > ahead).toBe(true);
    expect(decodeTime(next)).toBe(decodeTime(ahead) + 1);
  });
});
