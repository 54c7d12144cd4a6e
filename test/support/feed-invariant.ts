import { isDeepStrictEqual } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { afterEach, expect } from 'vitest';
import { type ChangeEntry, ChangeFeed } from '../../src/lib/replication/change-feed.js';
import { rowPrefix } from '../../src/lib/replication/replica-rows.js';
import { runCountNames } from '../../src/lib/replication/replication-run.js';
import { EntityTable } from '../../src/lib/storage/entity-table.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';

const bookkeeping = new Set(['partitionKey', 'rowKey', 'timestamp', 'etag', 'hash', 'gen', 'seq']);

async function listRows(connectionString: string, table: string): Promise<Record<string, unknown>[]> {
  const client = TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true });
  const rows: Record<string, unknown>[] = [];
  try {
    for await (const row of client.listEntities()) rows.push(row);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return [];
    throw error;
  }
  return rows;
}

/**
 * What breaks the promise that a tenant's change feed is exactly its replica's history, in words (none when it
 * holds): every object in the replica has as its last change an upsert with the replica's data, and the row
 * names that change's position (what a snapshot goes by); every object
 * the feed names but the replica does not has a removal last (an object whose changes were all trimmed is known
 * only by its row's position, at or before the last one trimmed); no change repeats the one before it for the same
 * object; and the tenant's runs counted exactly what the feed holds.
 */
export async function feedViolations(connectionString: string, tenantId: string): Promise<string[]> {
  const violations: string[] = [];
  const feedTable = TableClient.fromConnectionString(connectionString, tableNames.replicaChanges, {
    allowInsecureConnection: true,
  });
  let changes: ChangeEntry[] = [];
  let lastTrimmed: string | undefined;
  try {
    const feed = new ChangeFeed(new EntityTable(feedTable));
    lastTrimmed = (await feed.retention(tenantId))?.lastTrimmed;
    changes = await feed.read(tenantId, lastTrimmed, Number.POSITIVE_INFINITY);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  const history = new Map<string, ChangeEntry[]>();
  for (const change of changes) {
    const key = `${rowPrefix[change.kind]}${change.id}`;
    const list = history.get(key);
    if (list) list.push(change);
    else history.set(key, [change]);
  }
  for (const [key, list] of history)
    for (let i = 1; i < list.length; i += 1) {
      const [before, after] = [list[i - 1], list[i]] as [ChangeEntry, ChangeEntry];
      if (before.op === after.op && isDeepStrictEqual(before.data, after.data))
        violations.push(`${key}: ${after.op} at ${after.seq} repeats the one at ${before.seq}`);
    }

  const replica = (await listRows(connectionString, tableNames.replica)).filter((row) =>
    String(row.partitionKey).startsWith(`${tenantId}|`),
  );
  const inReplica = new Set<string>();
  for (const row of replica) {
    const key = String(row.rowKey);
    inReplica.add(key);
    const last = history.get(key)?.at(-1);
    const data = Object.fromEntries(Object.entries(row).filter(([name]) => !bookkeeping.has(name)));
    if (!last) {
      if (!lastTrimmed || String(row.seq) > lastTrimmed)
        violations.push(`${key}: in the replica, never announced`);
    } else if (last.op !== 'upsert')
      violations.push(`${key}: in the replica, last announced as a ${last.op}`);
    else if (!isDeepStrictEqual(last.data ?? {}, data))
      violations.push(
        `${key}: the replica holds ${JSON.stringify(data)}, last announced ${JSON.stringify(last.data)}`,
      );
    else if (row.seq !== last.seq)
      violations.push(`${key}: the row names change ${String(row.seq)}, its last change is at ${last.seq}`);
  }
  for (const [key, list] of history)
    if (!inReplica.has(key) && list.at(-1)?.op !== 'delete')
      violations.push(`${key}: not in the replica, last announced as an upsert`);

  // Once the feed was trimmed, the runs counted changes it no longer holds.
  if (lastTrimmed) return violations;
  const runs = (await listRows(connectionString, tableNames.tenants)).filter(
    (row) => row.partitionKey === tenantId && String(row.rowKey).startsWith('run|'),
  );
  const counted: Record<string, number> = {};
  for (const run of runs)
    for (const [name, n] of Object.entries(JSON.parse(String(run.counts ?? '{}')) as Record<string, number>))
      counted[name] = (counted[name] ?? 0) + n;
  for (const [kind, names] of Object.entries(runCountNames)) {
    const of = (op: string) => changes.filter((change) => change.kind === kind && change.op === op).length;
    for (const [op, name] of [
      ['upsert', names.upserted],
      ['delete', names.deleted],
    ] as const)
      if ((counted[name] ?? 0) !== of(op))
        violations.push(`runs counted ${counted[name] ?? 0} ${name}, the feed holds ${of(op)}`);
  }
  return violations;
}

/** After each test of the file, every tenant's feed holds the promise (see feedViolations). */
export function checkFeedsAfterEach(connector: { azurite: { connectionString: string } }): void {
  afterEach(() => expectEveryFeedExact(connector.azurite.connectionString));
}

async function expectEveryFeedExact(connectionString: string): Promise<void> {
  const rows = await listRows(connectionString, tableNames.replicaChanges);
  const violations: string[] = [];
  for (const tenantId of new Set(rows.map((row) => String(row.partitionKey))))
    for (const violation of await feedViolations(connectionString, tenantId))
      violations.push(`${tenantId}: ${violation}`);
  expect(violations).toEqual([]);
}
