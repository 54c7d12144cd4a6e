import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { describe, expect, inject, it } from 'vitest';
import { EntityTable, rowKey } from '../../../src/lib/storage/entity-table.js';
import { type LeaseRow, PartitionLease } from '../../../src/lib/storage/partition-lease.js';
import { eventually } from '../../support/eventually.js';

const leaseRow = rowKey<LeaseRow>('lease');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function leaseTable(): EntityTable<LeaseRow> {
  return new EntityTable<LeaseRow>(
    TableClient.fromConnectionString(
      inject('storageConnectionString'),
      `lease${randomUUID().replaceAll('-', '')}`,
      {
        allowInsecureConnection: true,
      },
    ),
  );
}

describe('PartitionLease against Azurite', () => {
  it('is kept past its term while renewed, and taken by another once released', async () => {
    const table = leaseTable();
    const first = new PartitionLease(table, 'tenant', leaseRow, 1_000);
    const second = new PartitionLease(table, 'tenant', leaseRow, 1_000);
    expect(await first.acquire()).toBe(true);
    first.keepRenewed();
    await sleep(2_500);
    expect(await second.acquire()).toBe(false);
    expect(second.heldUntil?.getTime()).toBeGreaterThan(Date.now());
    expect(first.lost).toBe(false);
    await first.release();
    expect(await second.acquire()).toBe(true);
    await second.release();
  });

  it('ends one term after its holder stops renewing it (a worker that died)', async () => {
    const table = leaseTable();
    const dead = new PartitionLease(table, 'tenant', leaseRow, 1_000);
    const next = new PartitionLease(table, 'tenant', leaseRow, 1_000);
    expect(await dead.acquire()).toBe(true);
    expect(await next.acquire()).toBe(false);
    await sleep(1_100);
    expect(await next.acquire()).toBe(true);
    await next.release();
  });

  it('knows it was lost when another took it over after it ran out, and leaves theirs alone', async () => {
    const table = leaseTable();
    const stalled = new PartitionLease(table, 'tenant', leaseRow, 200);
    const other = new PartitionLease(table, 'tenant', leaseRow, 60_000);
    expect(await stalled.acquire()).toBe(true);
    await sleep(250);
    expect(await other.acquire()).toBe(true);
    stalled.keepRenewed();
    await eventually(() => stalled.lost);
    await stalled.release();
    expect((await table.get<LeaseRow>('tenant', leaseRow))?.entity.holder).toBe(other.holder);
  });
});
