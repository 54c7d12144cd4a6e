import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { describe, expect, inject, it } from 'vitest';
import { EntityTable, planTransactions } from '../../../src/lib/storage/entity-table.js';
import { ConcurrencyError, EntityExistsError } from '../../../src/lib/storage/storage-errors.js';

interface Widget {
  colour: string;
  count: number;
}

function freshTable(): { table: EntityTable<Widget>; client: TableClient } {
  const client = TableClient.fromConnectionString(
    inject('storageConnectionString'),
    `widgets${randomUUID().replaceAll('-', '')}`,
    { allowInsecureConnection: true },
  );
  return { table: new EntityTable<Widget>(client), client };
}

describe('EntityTable against Azurite', () => {
  it('inserts, reads back and refuses a second insert of the same keys', async () => {
    const { table } = freshTable();
    await table.insert({ partitionKey: 'p', rowKey: 'r', colour: 'red', count: 1 });
    const stored = await table.get('p', 'r');
    expect(stored?.entity).toEqual({ partitionKey: 'p', rowKey: 'r', colour: 'red', count: 1 });
    expect(stored?.etag).toMatch(/^W\//);
    await expect(table.insert({ partitionKey: 'p', rowKey: 'r', colour: 'blue', count: 2 })).rejects.toThrow(
      EntityExistsError,
    );
    expect((await table.get('p', 'r'))?.entity.colour).toBe('red');
  });

  it('returns undefined for a missing entity', async () => {
    expect(await freshTable().table.get('nobody', 'nothing')).toBeUndefined();
  });

  it('stores keys with forbidden characters escaped and reads them back unescaped', async () => {
    const { table, client } = freshTable();
    await table.insert({ partitionKey: 'tenant/a#1', rowKey: 'what?\\now', colour: 'green', count: 3 });
    expect((await table.get('tenant/a#1', 'what?\\now'))?.entity.rowKey).toBe('what?\\now');
    const raw = await client.getEntity('tenant%2Fa%231', 'what%3F%5Cnow');
    expect(raw.colour).toBe('green');
  });

  it('updates with the current etag and refuses a stale one, leaving the entity as the winner wrote it', async () => {
    const { table } = freshTable();
    const firstEtag = await table.insert({ partitionKey: 'p', rowKey: 'r', colour: 'red', count: 1 });
    const secondEtag = await table.update(
      { partitionKey: 'p', rowKey: 'r', colour: 'blue', count: 2 },
      firstEtag,
    );
    expect(secondEtag).not.toBe(firstEtag);
    await expect(
      table.update({ partitionKey: 'p', rowKey: 'r', colour: 'stale', count: 99 }, firstEtag),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await table.get('p', 'r'))?.entity).toMatchObject({ colour: 'blue', count: 2 });
  });

  it('deletes only with the current etag', async () => {
    const { table } = freshTable();
    const etag = await table.insert({ partitionKey: 'p', rowKey: 'r', colour: 'red', count: 1 });
    const newer = await table.update({ partitionKey: 'p', rowKey: 'r', colour: 'red', count: 2 }, etag);
    await expect(table.delete('p', 'r', etag)).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await table.get('p', 'r')).toBeDefined();
    await table.delete('p', 'r', newer);
    expect(await table.get('p', 'r')).toBeUndefined();
  });

  it('upserts 250 entities of one partition in three transactions', async () => {
    const { table } = freshTable();
    const entities = Array.from({ length: 250 }, (_, i) => ({
      partitionKey: 'bulk',
      rowKey: String(i).padStart(3, '0'),
      colour: 'grey',
      count: i,
    }));
    expect(await table.upsertMany(entities)).toBe(3);
    const stored = [];
    for await (const entity of table.listPartition('bulk')) stored.push(entity);
    expect(stored).toHaveLength(250);
    expect(stored.map((entity) => entity.count).sort((a, b) => a - b)).toEqual(entities.map((e) => e.count));
  });

  it('upserts replace what is there', async () => {
    const { table } = freshTable();
    await table.insert({ partitionKey: 'p', rowKey: 'r', colour: 'red', count: 1 });
    await table.upsertMany([{ partitionKey: 'p', rowKey: 'r', colour: 'violet', count: 7 }]);
    expect((await table.get('p', 'r'))?.entity).toMatchObject({ colour: 'violet', count: 7 });
  });
});

describe('planTransactions', () => {
  const entity = (partitionKey: string, rowKey: string, size = 0) => ({
    partitionKey,
    rowKey,
    pad: 'x'.repeat(size),
  });

  it('keeps each batch to one partition and at most 100 entities', () => {
    const entities = [
      ...Array.from({ length: 150 }, (_, i) => entity('a', `${i}`)),
      ...Array.from({ length: 30 }, (_, i) => entity('b', `${i}`)),
    ];
    const batches = planTransactions(entities);
    expect(batches.map((batch) => batch.length)).toEqual([100, 50, 30]);
    for (const batch of batches) expect(new Set(batch.map((e) => e.partitionKey)).size).toBe(1);
  });

  it('names an entity once per batch, keeping the last copy', () => {
    const batches = planTransactions([
      { partitionKey: 'a', rowKey: '1', v: 1 },
      { partitionKey: 'a', rowKey: '1', v: 2 },
    ]);
    expect(batches).toEqual([[{ partitionKey: 'a', rowKey: '1', v: 2 }]]);
  });

  it('starts a new batch before the payload passes 4 MiB', () => {
    const batches = planTransactions(Array.from({ length: 10 }, (_, i) => entity('a', `${i}`, 900 * 1024)));
    expect(batches.map((batch) => batch.length)).toEqual([4, 4, 2]);
  });
});

describe('EntityTable transactions against Azurite', () => {
  it('commits rows of different shapes in one partition together', async () => {
    const { table, client } = freshTable();
    await table
      .transaction('tenant/1')
      .insert({ rowKey: 'state', colour: 'red', count: 1 })
      .insert({ rowKey: 'event|0001', type: 'tenant.onboarded' })
      .commit();
    expect((await table.get('tenant/1', 'state'))?.entity.colour).toBe('red');
    expect((await client.getEntity('tenant%2F1', 'event|0001')).type).toBe('tenant.onboarded');
  });

  it('writes nothing when one operation fails (a stale etag)', async () => {
    const { table, client } = freshTable();
    const etag = await table.insert({ partitionKey: 'p', rowKey: 'state', colour: 'red', count: 1 });
    await table.update({ partitionKey: 'p', rowKey: 'state', colour: 'blue', count: 2 }, etag);
    await expect(
      table
        .transaction('p')
        .update({ rowKey: 'state', colour: 'green', count: 3 }, etag)
        .insert({ rowKey: 'event|0002', type: 'lost' })
        .commit(),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await table.get('p', 'state'))?.entity.colour).toBe('blue');
    await expect(client.getEntity('p', 'event|0002')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('queries with a filter and returns etags', async () => {
    const { table } = freshTable();
    await table.upsertMany([
      { partitionKey: 'a', rowKey: '1', colour: 'red', count: 1 },
      { partitionKey: 'b', rowKey: '2', colour: 'blue', count: 2 },
      { partitionKey: 'c', rowKey: '3', colour: 'red', count: 3 },
    ]);
    const found = [];
    for await (const stored of table.query("colour eq 'red'")) found.push(stored);
    expect(found.map((stored) => stored.entity.count).sort()).toEqual([1, 3]);
    expect(found.every((stored) => stored.etag.length > 0)).toBe(true);
  });
});
