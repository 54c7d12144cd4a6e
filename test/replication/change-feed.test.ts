import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { decodeTime, ulid } from 'ulid';
import { describe, expect, inject, it } from 'vitest';
import {
  type Change,
  ChangeFeed,
  cursorPattern,
  feedBaseAt,
  nextFeedBase,
} from '../../src/lib/replication/change-feed.js';
import { CursorExpired } from '../../src/lib/replication/replication-errors.js';
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
    expect(unsettled[0]?.changes).toEqual(stored.map((change, i) => ({ ...change, seq: appended.seqs[i] })));
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

  it('trims batches past the retention, never the newest settled one nor an unsettled flush, and refuses cursors into what went', async () => {
    const { feed, table } = freshFeed();
    const day = 86_400_000;
    const baseOn = (daysAgo: number) => ulid(Date.now() - daysAgo * day);
    const old = await feed.append(tenantId, baseOn(40), changes(300));
    const older = await feed.append(tenantId, baseOn(35), changes(2, 300));
    const recent = await feed.append(tenantId, baseOn(3), changes(2, 302));
    const settledBefore = baseOn(2);
    const unsettled = await feed.append(tenantId, baseOn(1), changes(1, 304));
    const cutoff = feedBaseAt(new Date(Date.now() - 30 * day));
    expect(await feed.lastSettled(tenantId, settledBefore)).toBe(recent.lastSeq);
    expect(await feed.read(tenantId, undefined, 1)).toHaveLength(1);

    expect(await feed.trim(tenantId, cutoff, settledBefore, 1000)).toBeGreaterThan(1);
    // A core that had read all that went goes on; one that had not must take a snapshot.
    const kept = await feed.read(tenantId, older.lastSeq, 100);
    expect(kept.map((change) => change.id)).toEqual(['user-302', 'user-303', 'user-304']);
    await expect(feed.read(tenantId, old.lastSeq, 100)).rejects.toThrow(CursorExpired);
    await expect(feed.read(tenantId, undefined, 100)).rejects.toMatchObject({
      code: 'cursor_expired',
      extensions: { snapshot: `/api/tenants/${tenantId}/replica` },
    });
    expect(await feed.trim(tenantId, cutoff, settledBefore, 1000)).toBe(0);

    // Nothing newer settled: the newest settled batch stays, past the retention or not; an unsettled one too.
    expect(await feed.trim(tenantId, feedBaseAt(new Date()), settledBefore, 1000)).toBe(0);
    expect(await feed.trim(tenantId, nextFeedBase(), settledBefore, 1000)).toBe(0);
    expect((await feed.read(tenantId, recent.lastSeq, 100)).map((change) => change.id)).toEqual(['user-304']);
    expect(await feed.lastSettled(tenantId, settledBefore)).toBe(recent.lastSeq);
    expect((await feed.unsettled(tenantId, settledBefore))[0]?.lastSeq).toBe(unsettled.lastSeq);
    // A feed whose flushes never settled is not trimmed at all.
    const other = freshFeed();
    await other.feed.append(tenantId, baseOn(40), changes(1));
    expect(await other.feed.trim(tenantId, cutoff, undefined, 1000)).toBe(0);
    expect(await other.feed.read(tenantId, undefined, 10)).toHaveLength(1);

    const keys: string[] = [];
    for await (const { entity } of table.query(`PartitionKey eq '${tenantId}'`)) keys.push(entity.rowKey);
    expect(keys[0]).toBe('!retention');
    expect(keys.slice(1).every((key) => key >= (recent.lastSeq ?? '').slice(0, 30))).toBe(true);
  });

  it('hands out later bases even when the last one came from a clock ahead of this one', () => {
    const ahead = nextFeedBase(nextFeedBase()).replace(/^.{10}/, '01ZZZZZZZZ');
    const next = nextFeedBase(ahead);
    expect(next > ahead).toBe(true);
    expect(decodeTime(next)).toBe(decodeTime(ahead) + 1);
  });
});
