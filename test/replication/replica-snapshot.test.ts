import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TenantState } from '../../sim/tenant/tenant-state.js';
import { services } from '../../src/app-services.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { checkFeedsAfterEach } from '../support/feed-invariant.js';
import { onboardManually } from '../support/onboard-manually.js';
import { replicationRun } from '../support/replication-run.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector({ FEED_RETENTION_DAYS: '30' });
checkFeedsAfterEach(connector);
let tenant: TenantState;

beforeAll(async () => {
  const summary = connector.simulator.control.generateTenant({
    displayName: 'Snapshot Co',
    domain: 'snapshotco.onmicrosoft.com',
    seed: 7,
    sizes: {
      users: 50,
      groups: 5,
      membershipsPerUser: 2,
      voiceUsers: 10,
      directRoutingNumbers: 15,
      phoneSystemLicences: 12,
    },
  });
  tenant = connector.simulator.directory.tenant(summary.id);
  connector.simulator.control.setGraphConfig({ usersDeltaPageSize: 9, groupsDeltaPageSize: 2 });
  await onboardManually(connector, tenant.id);
});

type Item = { kind: string; id: string; data?: Record<string, unknown> };
type Change = Item & { seq: string; op: 'upsert' | 'delete' };

const bookkeeping = new Set(['partitionKey', 'rowKey', 'timestamp', 'etag', 'hash', 'gen', 'seq']);

/** The tenant's replica as stored: `kind|id` → its data. */
async function replicaContent(): Promise<Map<string, Record<string, unknown>>> {
  const rows = (await connector.rows(tableNames.replica)).filter((row) =>
    String(row.partitionKey).startsWith(`${tenant.id}|`),
  );
  return new Map(
    rows.map((row) => [
      String(row.rowKey),
      Object.fromEntries(Object.entries(row).filter(([name]) => !bookkeeping.has(name))),
    ]),
  );
}

/** What a core keeps of the replica, built from a snapshot and the feed. */
class CoreCopy {
  readonly objects = new Map<string, Record<string, unknown>>();
  apply(item: Item | Change): void {
    const key = `${item.kind}|${item.id}`;
    if ('op' in item && item.op === 'delete') this.objects.delete(key);
    else this.objects.set(key, item.data ?? {});
  }
}

const path = (link: string) => link.replace(/^\/api/, '');

/** Reads the feed from `cursor` to its end; the changes and the cursor to go on from. */
async function follow(cursor: string | undefined): Promise<{ changes: Change[]; cursor?: string }> {
  const changes: Change[] = [];
  for (;;) {
    const query = cursor ? `?top=40&cursor=${cursor}` : '?top=40';
    const page = await connector.call('GET', `/tenants/${tenant.id}/changes${query}`);
    expect(page.status).toBe(200);
    changes.push(...page.body.value);
    if (page.body.value.length === 0) return { changes, cursor: page.body.cursor };
    cursor = page.body.cursor;
  }
}

describe('the change feed’s retention and the replica’s snapshot', () => {
  it('a core whose cursor fell off the trimmed feed recovers through a snapshot with exactly the replica’s content, while replication goes on', async () => {
    expect(await replicationRun(connector, tenant.id)).toBe('completed');
    const core = new CoreCopy();
    const first = await follow(undefined);
    for (const change of first.changes) core.apply(change);
    expect(core.objects).toEqual(await replicaContent());

    // The core stops reading; the tenant changes; the feed's old batches pass their retention.
    const users = [...tenant.users.keys()];
    connector.simulator.control.updateUser(tenant.id, users[3] as string, {
      displayName: 'Changed While Away',
    });
    connector.simulator.control.deleteUser(tenant.id, users[4] as string, { hard: true });
    expect(await replicationRun(connector, tenant.id)).toBe('completed');
    const trimmed = await services().housekeeping.sweep(new Date(Date.now() + 31 * 86_400_000));
    expect(trimmed.feedBatches).toBeGreaterThan(0);

    const expired = await connector.call('GET', `/tenants/${tenant.id}/changes?cursor=${first.cursor}`);
    expect(expired.status).toBe(410);
    expect(expired.headers.get('content-type')).toContain('application/problem+json');
    expect(expired.body).toMatchObject({
      type: expect.stringMatching(/cursor_expired$/),
      status: 410,
      snapshot: `/api/tenants/${tenant.id}/replica`,
      trimmedUpTo: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect((await connector.call('GET', `/tenants/${tenant.id}/changes`)).status).toBe(410);

    // The snapshot, in small pages; between them the tenant changes and replicates again.
    const recovered = new CoreCopy();
    const seen = new Set<string>();
    let page = await connector.call('GET', `${path(expired.body.snapshot)}?top=20`);
    const asOf = page.body.cursor;
    expect(asOf).toMatch(/^[0-9A-Z]{33}$/);
    let pages = 0;
    let readBeforeChange = '';
    let unreadBeforeChange = '';
    for (;;) {
      expect(page.status).toBe(200);
      expect(page.body.cursor).toBe(asOf);
      for (const item of page.body.value as Item[]) {
        expect(seen.has(`${item.kind}|${item.id}`)).toBe(false);
        seen.add(`${item.kind}|${item.id}`);
        recovered.apply(item);
      }
      pages += 1;
      if (pages === 1) {
        const read = users.find((id) => seen.has(`user|${id}`) && tenant.users.has(id)) as string;
        const unread = users.find((id) => !seen.has(`user|${id}`) && tenant.users.has(id)) as string;
        [readBeforeChange, unreadBeforeChange] = [read, unread];
        connector.simulator.control.updateUser(tenant.id, read, { displayName: 'Renamed After Its Page' });
        connector.simulator.control.updateUser(tenant.id, unread, { displayName: 'Renamed Before Its Page' });
        connector.simulator.control.addUser(tenant.id, {
          displayName: 'Joined Mid Snapshot',
          alias: 'mid.joiner',
        });
        connector.simulator.control.deleteUser(tenant.id, users[10] as string, { hard: true });
        expect(await replicationRun(connector, tenant.id)).toBe('completed');
      }
      if (!page.body.nextPage) break;
      page = await connector.call(
        'GET',
        `/tenants/${tenant.id}/replica?top=20&page=${encodeURIComponent(page.body.nextPage)}`,
      );
    }
    expect(pages).toBeGreaterThan(3);
    // A row changed after the snapshot's position is left to the feed, not served twice.
    expect(seen.has(`user|${unreadBeforeChange}`)).toBe(false);
    expect(recovered.objects.get(`user|${readBeforeChange}`)?.displayName).not.toBe('Renamed After Its Page');

    const rest = await follow(asOf);
    for (const change of rest.changes) recovered.apply(change);
    expect(recovered.objects).toEqual(await replicaContent());
    expect(recovered.objects.get(`user|${unreadBeforeChange}`)?.displayName).toBe('Renamed Before Its Page');
    expect(recovered.objects.get(`user|${readBeforeChange}`)?.displayName).toBe('Renamed After Its Page');
    expect(rest.changes.filter((change) => change.kind === 'user').length).toBe(4);

    const counts = await connector.call('GET', `/tenants/${tenant.id}/replica/counts`);
    const content = [...(await replicaContent()).keys()];
    const of = (kind: string) => content.filter((key) => key.startsWith(`${kind}|`)).length;
    expect(counts.body).toEqual({
      users: of('user'),
      groups: of('group'),
      members: of('member'),
      voice: of('voice'),
      numbers: of('number'),
      cursor: rest.cursor,
    });
  });

  it('pages through one kind, and refuses a page token it did not hand out for the tenant', async () => {
    const numbers: Item[] = [];
    let page = await connector.call('GET', `/tenants/${tenant.id}/replica?kind=numbers&top=4`);
    for (;;) {
      numbers.push(...page.body.value);
      if (!page.body.nextPage) break;
      page = await connector.call(
        'GET',
        `/tenants/${tenant.id}/replica?top=4&page=${encodeURIComponent(page.body.nextPage)}`,
      );
    }
    expect(numbers.map((item) => item.id).sort()).toEqual([...tenant.numberAssignments.keys()].sort());
    expect(numbers.every((item) => item.kind === 'number' && item.data?.assignmentStatus !== undefined)).toBe(
      true,
    );

    const first = await connector.call('GET', `/tenants/${tenant.id}/replica?kind=users&top=5`);
    const other = randomUUID();
    const forged = Buffer.from(JSON.stringify({ tenant: other, asOf: '', kinds: ['users'] })).toString(
      'base64url',
    );
    for (const bad of ['not-a-token', forged]) {
      const refused = await connector.call('GET', `/tenants/${tenant.id}/replica?page=${bad}`);
      expect(refused.status).toBe(400);
      expect(refused.body.type).toMatch(/snapshot_page_invalid$/);
    }
    const elsewhere = await connector.call(
      'GET',
      `/tenants/${randomUUID()}/replica?page=${encodeURIComponent(first.body.nextPage)}`,
    );
    expect(elsewhere.status).toBe(404);
    const badKind = await connector.call('GET', `/tenants/${tenant.id}/replica?kind=contacts`);
    expect(badKind.status).toBe(400);
    expect(badKind.body.errors[0].pointer).toBe('/query/kind');
    expect((await connector.call('GET', `/tenants/${randomUUID()}/replica/counts`)).status).toBe(404);
  });
});
