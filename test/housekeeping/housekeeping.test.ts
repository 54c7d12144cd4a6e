import { randomUUID } from 'node:crypto';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { dependencies } from '../../src/lib/dependencies.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { masterKey } from '../support/connector-fixture.js';
import { eventually } from '../support/eventually.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector({ RUN_HISTORY_DAYS: '30' });

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const day = 86_400_000;

describe('housekeeping', () => {
  it('removes finished runs past the history, webhook-ids past the replay window and long-expired sign-in states', async () => {
    const tenant = randomUUID();
    const { storage } = dependencies();
    const run = (runId: string, fields: Record<string, unknown>) => ({
      partitionKey: tenant,
      rowKey: `run|${runId}`,
      runId,
      queuedAt: ago(40 * day),
      ...fields,
    });
    await storage
      .table<Record<string, unknown>>(tableNames.tenants)
      .upsertMany([
        run('old-completed', { status: 'completed', finishedAt: ago(31 * day) }),
        run('old-failed', { status: 'failed', finishedAt: ago(45 * day) }),
        run('recent', { status: 'completed', finishedAt: ago(29 * day) }),
        run('still-running', { status: 'running' }),
        { partitionKey: tenant, rowKey: 'listed|dead|voice|00000004', ids0: 'a\nb', savedAt: ago(8 * day) },
        { partitionKey: tenant, rowKey: 'listed|live|voice|00000004', ids0: 'c', savedAt: ago(3_600_000) },
        { partitionKey: tenant, rowKey: 'tenant', status: 'active', updatedAt: ago(60 * day) },
      ]);
    await storage.table<Record<string, unknown>>(tableNames.coreRequestIds).upsertMany([
      { partitionKey: 'a1', rowKey: `old-${tenant}`, firstSeenAt: ago(73 * 3_600_000) },
      { partitionKey: 'a1', rowKey: `recent-${tenant}`, firstSeenAt: ago(71 * 3_600_000) },
    ]);
    await storage.table<Record<string, unknown>>(tableNames.signInStates).upsertMany([
      { partitionKey: 'b2', rowKey: `long-expired-${tenant}`, expiresAt: ago(2 * day) },
      { partitionKey: 'b2', rowKey: `just-expired-${tenant}`, expiresAt: ago(3_600_000) },
      { partitionKey: 'b2', rowKey: `live-${tenant}`, expiresAt: ago(-600_000) },
    ]);
    const keys = async (table: string) =>
      (await connector.rows(table)).map((row) => String(row.rowKey)).filter((key) => key.includes(tenant));
    const tenantRows = async () =>
      (await connector.rows(tableNames.tenants))
        .filter((row) => row.partitionKey === tenant)
        .map((row) => String(row.rowKey));

    const fired = await fetch(`${connector.host.url}/admin/functions/housekeeping`, {
      method: 'POST',
      headers: { 'x-functions-key': masterKey, 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    expect(fired.status).toBe(202);
    // Its summary is logged once the whole sweep is done (the rows go earlier, one table after another).
    await eventually(() => connector.logs.some((line) => line.includes('housekeeping: removed')));

    expect((await tenantRows()).sort()).toEqual([
      'listed|live|voice|00000004',
      'run|recent',
      'run|still-running',
      'tenant',
    ]);
    expect(await keys(tableNames.coreRequestIds)).toEqual([`recent-${tenant}`]);
    expect((await keys(tableNames.signInStates)).sort()).toEqual(
      [`just-expired-${tenant}`, `live-${tenant}`].sort(),
    );
    expect(connector.logs.join('\n')).toContain(
      'housekeeping: removed 2 run(s), 1 list record(s) of dead runs, 1 webhook-id(s), 1 sign-in state(s)',
    );
  });

  it('trims change feed batches past FEED_RETENTION_DAYS, keeping each tenant’s newest settled batch and what is unsettled', async () => {
    const { storage } = dependencies();
    const [trimmed, quiet] = [randomUUID(), randomUUID()];
    const batch = (tenant: string, daysAgo: number) => ({
      partitionKey: tenant,
      rowKey: `${ulid(Date.now() - daysAgo * day)}0000`,
      changes: JSON.stringify([{ kind: 'user', id: `u-${daysAgo}`, op: 'upsert', at: ago(daysAgo * day) }]),
    });
    const rows = [
      batch(trimmed, 40),
      batch(trimmed, 35),
      batch(trimmed, 2),
      batch(quiet, 50),
      batch(quiet, 45),
    ];
    await storage.table<Record<string, unknown>>(tableNames.replicaChanges).upsertMany(rows);
    const unsettled = { ...batch(trimmed, 0.5), rowKey: `${ulid(Date.now() - day / 2)}0000` };
    await storage.table<Record<string, unknown>>(tableNames.replicaChanges).upsertMany([unsettled]);
    await storage.table<Record<string, unknown>>(tableNames.tenants).upsertMany([
      { partitionKey: trimmed, rowKey: 'replication', feedBase: ulid(Date.now() - day) },
      { partitionKey: quiet, rowKey: 'replication', feedBase: ulid(Date.now() - day) },
    ]);
    const feedKeys = async (tenant: string) =>
      (await connector.rows(tableNames.replicaChanges))
        .filter((row) => row.partitionKey === tenant)
        .map((row) => String(row.rowKey))
        .sort();

    const fired = await fetch(`${connector.host.url}/admin/functions/housekeeping`, {
      method: 'POST',
      headers: { 'x-functions-key': masterKey, 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    expect(fired.status).toBe(202);
    await eventually(async () => connector.logs.join('\n').includes(', 3 change feed batch(es)'));

    expect(await feedKeys(trimmed)).toEqual(['!retention', rows[2]?.rowKey, unsettled.rowKey]);
    // A tenant with no change since: its newest batch stays, so a core that read it all goes on.
    expect(await feedKeys(quiet)).toEqual(['!retention', rows[4]?.rowKey]);
  });
});
