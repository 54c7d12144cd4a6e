import { describe, expect, it } from 'vitest';
import type { TenantState } from '../../sim/tenant/tenant-state.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { until } from '../support/eventually.js';
import { checkFeedsAfterEach } from '../support/feed-invariant.js';
import { onboardManually } from '../support/onboard-manually.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector({ REPLICATION_DELETE_THRESHOLD: '10' });
checkFeedsAfterEach(connector);

async function generate(seed: number): Promise<TenantState> {
  const summary = connector.simulator.control.generateTenant({
    displayName: `Hold ${seed}`,
    domain: `hold${seed}.onmicrosoft.com`,
    seed,
    sizes: { users: 40, groups: 4, membershipsPerUser: 2, voiceUsers: 6, directRoutingNumbers: 8 },
  });
  await onboardManually(connector, summary.id);
  return connector.simulator.directory.tenant(summary.id);
}

type Run = {
  runId: string;
  status: string;
  counts: Record<string, number>;
  notes?: string[];
  held?: { removals: Record<string, number>; state: string; releasedBy?: string };
};

async function finished(tenantId: string, runId: string): Promise<Run> {
  const runs = await until(
    () => connector.call('GET', `/tenants/${tenantId}/replication-runs`),
    (response) =>
      ['completed', 'held', 'failed'].includes(
        response.body.value.find((run: Run) => run.runId === runId)?.status,
      ),
  );
  return runs.body.value.find((run: Run) => run.runId === runId);
}

async function replicate(tenantId: string): Promise<Run> {
  const queued = await connector.call('POST', `/tenants/${tenantId}/replicate`);
  expect(queued.status).toBe(202);
  return finished(tenantId, queued.body.runId);
}

const run = async (tenantId: string, runId: string): Promise<Run> =>
  (await connector.call('GET', `/tenants/${tenantId}/replication-runs?top=100`)).body.value.find(
    (candidate: Run) => candidate.runId === runId,
  );

const storedUsers = async (tenantId: string) =>
  (await connector.rows(tableNames.replica)).filter(
    (row) => String(row.partitionKey).startsWith(`${tenantId}|`) && String(row.rowKey).startsWith('user|'),
  ).length;

const deletesInFeed = async (tenantId: string) =>
  (
    (await connector.call('GET', `/tenants/${tenantId}/changes?top=1000`)).body.value as { op: string }[]
  ).filter((change) => change.op === 'delete').length;

const heldEvents = (tenantId: string) =>
  connector.standIn.events.filter(
    (event) => event.type === 'replication.held' && event.data.tenantId === tenantId,
  );

describe('accidental-delete protection', () => {
  it('holds a run’s removals past the threshold, keeps holding them, and stores them once released', async () => {
    const tenant = await generate(81);
    expect((await replicate(tenant.id)).status).toBe('completed');
    const gone = tenant.userOrder.slice(5, 20);
    for (const id of gone) connector.simulator.control.deleteUser(tenant.id, id, { hard: true });

    const held = await replicate(tenant.id);
    expect(held.status).toBe('held');
    expect(held.held).toMatchObject({ state: 'holding', removals: { user: 15 } });
    expect(held.held?.removals.member).toBeGreaterThan(0);
    expect(held.counts).toMatchObject({ usersDeleted: 0, membersRemoved: 0 });
    expect(held.notes?.[0]).toContain(
      'users: 15 removal(s) held (users 15), more than 10 objects in one run',
    );
    // The groups phase held memberships, and says so (not "groups").
    expect(held.notes?.[1]).toMatch(/^groups: \d+ removal\(s\) held \(members \d+\)/);
    expect(await storedUsers(tenant.id)).toBe(40);
    expect(await deletesInFeed(tenant.id)).toBe(0);
    await until(
      async () => heldEvents(tenant.id),
      (events) => events.length === 1,
    );

    // The next run sees the same removals again (the held run kept its delta links) and holds them in its turn.
    const again = await replicate(tenant.id);
    expect(again.status).toBe('held');
    expect(again.held?.removals.user).toBe(15);
    expect((await run(tenant.id, held.runId)).held?.state).toBe('superseded');
    expect(await storedUsers(tenant.id)).toBe(40);

    const refused = await connector.call(
      'POST',
      `/tenants/${tenant.id}/replication-runs/${held.runId}/release`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('urn:m365-connector:problem:run_not_held');

    // Released twice at once (a double click), then once more: one release run, the same answer each time.
    const releaseNow = () =>
      connector.call('POST', `/tenants/${tenant.id}/replication-runs/${again.runId}/release`);
    const [release, alongside] = await Promise.all([releaseNow(), releaseNow()]);
    expect([release.status, alongside.status]).toEqual([202, 202]);
    expect(alongside.body.runId).toBe(release.body.runId);
    const twice = await releaseNow();
    expect(twice.body.runId).toBe(release.body.runId);
    const released = await finished(tenant.id, release.body.runId);
    expect(released.status).toBe('completed');
    expect(released.counts.usersDeleted).toBe(15);
    expect(await storedUsers(tenant.id)).toBe(25);
    expect(await run(tenant.id, again.runId)).toMatchObject({
      held: { state: 'released', releasedBy: release.body.runId },
    });
    expect(heldEvents(tenant.id)).toHaveLength(1);

    const after = await replicate(tenant.id);
    expect(after).toMatchObject({ status: 'completed', counts: { usersDeleted: 0 } });
  });

  it('drops a hold when a later run no longer sees the removals', async () => {
    const tenant = await generate(82);
    await replicate(tenant.id);
    const gone = tenant.userOrder.slice(3, 18);
    for (const id of gone) connector.simulator.control.deleteUser(tenant.id, id);
    const held = await replicate(tenant.id);
    expect(held.status).toBe('held');
    for (const id of gone) connector.simulator.control.restoreUser(tenant.id, id);
    const later = await replicate(tenant.id);
    expect(later.status).toBe('completed');
    expect(later.counts.usersDeleted).toBe(0);
    expect((await run(tenant.id, held.runId)).held?.state).toBe('dropped');
    expect(await storedUsers(tenant.id)).toBe(40);
  });

  it('takes removals of objects it never stored, in a first sync, as nothing (not held, not in the feed)', async () => {
    const summary = connector.simulator.control.generateTenant({
      displayName: 'Recycle Co',
      domain: 'recycleco.onmicrosoft.com',
      seed: 84,
      sizes: { users: 30, groups: 2, membershipsPerUser: 1, voiceUsers: 2, directRoutingNumbers: 2 },
    });
    const tenant = connector.simulator.directory.tenant(summary.id);
    // In the recycle bin before the first sync: Graph's initial round may list them as @removed.
    for (const id of tenant.userOrder.slice(2, 17)) connector.simulator.control.deleteUser(tenant.id, id);
    await onboardManually(connector, tenant.id);
    const first = await replicate(tenant.id);
    expect(first).toMatchObject({
      status: 'completed',
      counts: { usersUpserted: tenant.users.size, usersDeleted: 0 },
    });
    expect(await deletesInFeed(tenant.id)).toBe(0);
  });

  it('stores removals under the threshold at once', async () => {
    const tenant = await generate(83);
    await replicate(tenant.id);
    for (const id of tenant.userOrder.slice(1, 4))
      connector.simulator.control.deleteUser(tenant.id, id, { hard: true });
    const removed = await replicate(tenant.id);
    expect(removed).toMatchObject({ status: 'completed', counts: { usersDeleted: 3 } });
    expect(removed.held).toBeUndefined();
  });
});
