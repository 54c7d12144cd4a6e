import { describe, expect, it } from 'vitest';
import { services } from '../../src/app-services.js';
import { dependencies } from '../../src/lib/dependencies.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { appToken } from '../sim/sim-fixture.js';
import { PageSession } from '../support/browserless.js';
import { onboardBySignIn } from '../support/certificate-tenant.js';
import { masterKey } from '../support/connector-fixture.js';
import { eventually, until } from '../support/eventually.js';
import { enterSecret, manualReconnectLink } from '../support/reconnect-manually.js';
import { replicationRun } from '../support/replication-run.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { tenantWithAdmin } from '../support/tenant-with-admin.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector({ NEAR_REAL_TIME_QUIET_SECONDS: '2' });
const withGroups = [
  ...requiredPermissions.replication,
  ...requiredPermissions.selfRotation,
  'Group.Read.All',
];

const subscriptionsOf = (tenantId: string) =>
  [...connector.simulator.graph.subscriptions.byId.values()].filter(
    (subscription) => subscription.tenantId === tenantId,
  );

type Run = { runId: string; trigger: string; status: string };
const notifiedRuns = async (tenantId: string): Promise<Run[]> =>
  ((await connector.call('GET', `/tenants/${tenantId}/replication-runs`)).body.value as Run[]).filter(
    (run) => run.trigger === 'change_notification',
  );

/** The core's read of the feed from `cursor` to its end: the changes, and where to go on from. */
async function feedFrom(tenantId: string, cursor: string | undefined) {
  const changes: { kind: string; id: string; data?: Record<string, unknown> }[] = [];
  let at = cursor;
  for (;;) {
    const page = await connector.call('GET', `/tenants/${tenantId}/changes${at ? `?cursor=${at}` : ''}`);
    expect(page.status).toBe(200);
    if (page.body.value.length === 0) return { changes, cursor: page.body.cursor as string | undefined };
    changes.push(...page.body.value);
    at = page.body.cursor;
  }
}

/** A users subscription at the connector's URL made with the tenant's app, as a dead attempt would leave it. */
async function strayUsersSubscription(tenantId: string, clientId: string, secret: string): Promise<string> {
  const token = await appToken(connector.simulator, tenantId, clientId, secret);
  const made = await fetch(`${connector.simulator.graphEndpoint}/v1.0/subscriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      changeType: 'updated',
      notificationUrl: `${connector.publicBaseUrl}/api/graph-notifications`,
      resource: '/users',
      expirationDateTime: new Date(Date.now() + 3_600_000).toISOString(),
      clientState: 'lost-with-the-attempt',
    }),
  });
  expect(made.status).toBe(201);
  return ((await made.json()) as { id: string }).id;
}

type Subscription = { id: string; resource: string; expiresAt: string };

/** The tenant's near-real-time row changed as a lost message leaves it: its next attempt 20 minutes overdue. */
async function overdue(tenantId: string, changes: Record<string, unknown>): Promise<void> {
  const row = (await connector.rows(tableNames.tenants)).find(
    (candidate) => candidate.partitionKey === tenantId && candidate.rowKey === 'near-real-time',
  );
  await dependencies()
    .storage.table<Record<string, unknown>>(tableNames.tenants)
    .upsertMany([
      {
        ...row,
        partitionKey: tenantId,
        rowKey: 'near-real-time',
        nextAttemptAt: new Date(Date.now() - 20 * 60_000).toISOString(),
        ...changes,
      },
    ]);
}

async function fireSweep(name: 'workflow-sweep' | 'near-real-time-sweep'): Promise<void> {
  const fired = await fetch(`${connector.host.url}/admin/functions/${name}`, {
    method: 'POST',
    headers: { 'x-functions-key': masterKey, 'content-type': 'application/json' },
    body: '{"input":""}',
  });
  expect(fired.status).toBe(202);
}

const notify = (body: unknown) =>
  fetch(`${connector.host.url}/api/graph-notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('near-real-time replication through Graph change notifications', () => {
  it('subscribes with the handshake, and a renamed user reaches the feed through one run, as exactly one change', async () => {
    const { tenantId, clientId, secret } = await selfManagedTenant(connector, {
      permissions: withGroups,
      quiet: true,
    });
    expect(await replicationRun(connector, tenantId)).toBe('completed');
    const { cursor } = await feedFrom(tenantId, undefined);
    // A subscription an earlier attempt made at Graph but died before recording: it is deleted, not kept.
    const stray = await strayUsersSubscription(tenantId, clientId, secret);

    const on = await connector.call('PUT', `/tenants/${tenantId}/near-real-time`, {
      body: { enabled: true },
    });
    expect(on.status).toBe(200);
    expect(on.body.subscriptions.map((subscription: { resource: string }) => subscription.resource)).toEqual([
      '/users',
      '/groups',
    ]);
    expect(subscriptionsOf(tenantId).map((subscription) => subscription.resource)).toEqual([
      '/users',
      '/groups',
    ]);
    expect(subscriptionsOf(tenantId).map((subscription) => subscription.id)).not.toContain(stray);
    // On again: as it was, no third subscription.
    expect(
      (await connector.call('PUT', `/tenants/${tenantId}/near-real-time`, { body: { enabled: true } }))
        .status,
    ).toBe(200);
    expect(subscriptionsOf(tenantId)).toHaveLength(2);
    // The validation report now checks what the notifications need.
    const validation = await connector.call('POST', `/tenants/${tenantId}/validate`);
    expect(
      validation.body.report.requirements.find(
        (requirement: { id: string }) => requirement.id === 'near_real_time',
      ),
    ).toMatchObject({ satisfied: true });

    const [someone] = connector.simulator.directory.tenant(tenantId).users.keys();
    connector.simulator.control.updateUser(tenantId, someone as string, { displayName: 'Renamed Just Now' });
    const [run] = await until(
      () => notifiedRuns(tenantId),
      (runs) => runs.length === 1 && runs[0]?.status === 'completed',
      30_000,
    );
    expect(run?.status).toBe('completed');
    const { changes } = await feedFrom(tenantId, cursor);
    expect(changes).toEqual([
      expect.objectContaining({
        kind: 'user',
        id: someone,
        data: expect.objectContaining({ displayName: 'Renamed Just Now' }),
      }),
    ]);
    const view = (await connector.call('GET', `/tenants/${tenantId}`)).body.nearRealTime;
    expect(view).toMatchObject({ enabled: true, runsStarted: 1 });
    expect(view.notifications).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('answers a burst of 200 changes with one or two runs, not 200', async () => {
    const { tenantId } = await selfManagedTenant(connector, { permissions: withGroups, quiet: true });
    expect(await replicationRun(connector, tenantId)).toBe('completed');
    expect(
      (await connector.call('PUT', `/tenants/${tenantId}/near-real-time`, { body: { enabled: true } }))
        .status,
    ).toBe(200);
    const users = [...connector.simulator.directory.tenant(tenantId).users.keys()];
    for (let change = 0; change < 200; change += 1)
      connector.simulator.control.updateUser(tenantId, users[change % users.length] as string, {
        jobTitle: `Title ${change}`,
      });
    await until(
      () => notifiedRuns(tenantId),
      (runs) => runs.length > 0 && runs.every((run) => run.status === 'completed'),
      30_000,
    );
    // Another quiet period passes: nothing more starts.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const runs = await notifiedRuns(tenantId);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThanOrEqual(2);
  }, 60_000);

  it('answers the handshake, and drops a notification of an unknown subscription or with a wrong client state', async () => {
    const handshake = await fetch(`${connector.host.url}/api/graph-notifications?validationToken=abc%20123`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
    });
    expect(handshake.status).toBe(200);
    expect(handshake.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await handshake.text()).toBe('abc 123');

    const { tenantId } = await selfManagedTenant(connector, { permissions: withGroups, quiet: true });
    await connector.call('PUT', `/tenants/${tenantId}/near-real-time`, { body: { enabled: true } });
    const [users] = subscriptionsOf(tenantId);
    const forged = (subscriptionId: string, clientState: string) => ({
      value: [{ subscriptionId, clientState, tenantId, changeType: 'updated', resource: 'Users/x' }],
    });
    for (const body of [
      forged(users?.id ?? '', 'not-the-client-state'),
      forged('00000000-0000-0000-0000-000000000000', 'x'),
    ]) {
      const answer = await notify(body);
      expect(answer.status).toBe(202);
    }
    expect((await notify({ value: 'nope' })).status).toBe(400);
    expect((await notify({ value: Array.from({ length: 1001 }, () => ({})) })).status).toBe(413);
    expect((await notify({ value: [{ padding: 'x'.repeat(1024 * 1024) }] })).status).toBe(413);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const view = (await connector.call('GET', `/tenants/${tenantId}`)).body.nearRealTime;
    expect(view).toMatchObject({ notifications: 0, runsStarted: 0 });
    expect(view.pendingSince).toBeUndefined();
    expect(await notifiedRuns(tenantId)).toEqual([]);
    expect(connector.logs.join('\n')).toContain('graph-notifications: 1 dropped');
  }, 60_000);

  it('refuses to turn on without Group.Read.All, leaving no subscription; off and offboarding delete them at Graph', async () => {
    const lacking = await selfManagedTenant(connector, { quiet: true });
    const refused = await connector.call('PUT', `/tenants/${lacking.tenantId}/near-real-time`, {
      body: { enabled: true },
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ missingPermissions: ['Group.Read.All'] });
    expect(subscriptionsOf(lacking.tenantId)).toEqual([]);
    // Graph refused the second one: the first, made already, was deleted again.
    expect((await connector.call('GET', `/tenants/${lacking.tenantId}`)).body.nearRealTime).toMatchObject({
      enabled: false,
      state: 'off',
      offReason: 'permission_missing',
      subscriptions: [],
    });

    const { tenantId } = await selfManagedTenant(connector, { permissions: withGroups, quiet: true });
    await connector.call('PUT', `/tenants/${tenantId}/near-real-time`, { body: { enabled: true } });
    const off = await connector.call('PUT', `/tenants/${tenantId}/near-real-time`, {
      body: { enabled: false },
    });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({
      enabled: false,
      state: 'off',
      offReason: 'turned_off',
      subscriptions: [],
    });
    expect(subscriptionsOf(tenantId)).toEqual([]);

    await connector.call('PUT', `/tenants/${tenantId}/near-real-time`, { body: { enabled: true } });
    expect(subscriptionsOf(tenantId)).toHaveLength(2);
    expect((await connector.call('DELETE', `/tenants/${tenantId}`, { body: { tenantId } })).status).toBe(202);
    await eventually(() => subscriptionsOf(tenantId).length === 0, 30_000);
  }, 60_000);

  it('renews subscriptions ending within a week and makes anew one Graph lost (a message lost: the sweep takes it up); a reauthorization request renews and catches up', async () => {
    const { tenantId } = await selfManagedTenant(connector, { permissions: withGroups, quiet: true });
    expect(await replicationRun(connector, tenantId)).toBe('completed');
    const on = await connector.call('PUT', `/tenants/${tenantId}/near-real-time`, {
      body: { enabled: true },
    });
    expect(on.body).toMatchObject({ state: 'on', nextCheckAt: expect.any(String) });
    // The daily check is at most a day ahead, however far the renewals are.
    expect(Date.parse(on.body.nextCheckAt)).toBeLessThanOrEqual(Date.now() + 86_400_000);
    const [users, groups] = on.body.subscriptions as Subscription[];
    // Both end in two days as far as the connector knows, the workflow's message was lost, and Graph lost the
    // groups one.
    const soon = new Date(Date.now() + 2 * 86_400_000).toISOString();
    await overdue(tenantId, {
      subscriptions: JSON.stringify(
        [users, groups].map((subscription) => ({ ...subscription, expiresAt: soon })),
      ),
    });
    connector.simulator.graph.subscriptions.byId.delete(groups?.id ?? '');
    await fireSweep('workflow-sweep');
    const renewed = (
      await until(
        async () => (await connector.call('GET', `/tenants/${tenantId}`)).body.nearRealTime,
        (view) => view.subscriptions.every((subscription: Subscription) => subscription.expiresAt !== soon),
        20_000,
      )
    ).subscriptions as Subscription[];
    expect(renewed[0]).toMatchObject({ id: users?.id, resource: '/users' });
    expect(Date.parse(renewed[0]?.expiresAt ?? '')).toBeGreaterThan(Date.now() + 20 * 86_400_000);
    expect(renewed[1]?.id).not.toBe(groups?.id);
    expect(
      subscriptionsOf(tenantId)
        .map((subscription) => subscription.id)
        .sort(),
    ).toEqual([renewed[0]?.id, renewed[1]?.id].sort());
    // The new one is acted on.
    const [group] = connector.simulator.directory.tenant(tenantId).groups.keys();
    connector.simulator.control.updateGroup(tenantId, group as string, {
      description: 'Seen through the new one',
    });
    await until(
      () => notifiedRuns(tenantId),
      (runs) => runs.length === 1 && runs[0]?.status === 'completed',
      30_000,
    );

    expect(
      await connector.simulator.graph.subscriptions.lifecycle(
        renewed[0]?.id ?? '',
        'reauthorizationRequired',
      ),
    ).toBe(202);
    // Both renewed again (later than before), then one catch-up run.
    await until(
      async () => (await connector.call('GET', `/tenants/${tenantId}`)).body.nearRealTime.subscriptions,
      (now: Subscription[]) =>
        now.every((subscription, i) => subscription.expiresAt > (renewed[i]?.expiresAt ?? '')),
      20_000,
    );
    await until(
      () => notifiedRuns(tenantId),
      (runs) => runs.length === 2 && runs.every((run) => run.status === 'completed'),
      30_000,
    );
    expect((await connector.call('GET', `/tenants/${tenantId}`)).body.nearRealTime).toMatchObject({
      state: 'on',
      runsStarted: 2,
    });
  }, 90_000);

  it('deletes its subscriptions when the credentials stop working, drops what Graph still sends, and is on again after a reconnect', async () => {
    const { tenantId, clientId } = await selfManagedTenant(connector, {
      permissions: withGroups,
      quiet: true,
    });
    expect(await replicationRun(connector, tenantId)).toBe('completed');
    const on = await connector.call('PUT', `/tenants/${tenantId}/near-real-time`, {
      body: { enabled: true },
    });
    const before = (on.body.subscriptions as Subscription[]).map((subscription) => subscription.id);
    connector.simulator.control.expireSecret(clientId);
    await services().registry.markCredentialsInvalid(tenantId, 'secret_expired');
    // A day later no token is cached any more. Here: the vault's copy is not the one MSAL cached a token for.
    const vault = connector.simulator.vaults.get('connector')?.vault;
    const secretName = tenantSecretName(tenantId, 'dr-london');
    const stored = vault?.secrets.get(secretName.toLowerCase())?.versions.at(-1);
    vault?.put(secretName, { ...stored, value: 'a-secret-entra-no-longer-knows' });
    // Its daily check comes (here: overdue, so the sweep brings it).
    await overdue(tenantId, {});
    await fireSweep('workflow-sweep');
    const off = await until(
      async () => (await connector.call('GET', `/tenants/${tenantId}`)).body.nearRealTime,
      (view) => view.state === 'off',
      20_000,
    );
    expect(off).toMatchObject({ enabled: false, offReason: 'credentials_invalid', subscriptions: [] });
    const indexed = (await connector.rows(tableNames.graphSubscriptions)).filter(
      (row) => row.tenantId === tenantId,
    );
    expect(indexed).toEqual([]);
    // Graph's copies end on their own (no token to delete them with): what they send is dropped as unknown.
    expect(
      subscriptionsOf(tenantId)
        .map((subscription) => subscription.id)
        .sort(),
    ).toEqual([...before].sort());
    const dropped = () =>
      connector.logs.filter((line) => line.includes('dropped (unknown subscription')).length;
    const droppedBefore = dropped();
    const [someone] = connector.simulator.directory.tenant(tenantId).users.keys();
    connector.simulator.control.updateUser(tenantId, someone as string, {
      displayName: 'While Disconnected',
    });
    await eventually(() => dropped() > droppedBefore, 20_000);
    expect(await notifiedRuns(tenantId)).toEqual([]);

    // The customer's admin reconnects it with a new secret.
    const fresh = connector.simulator.directory.addPassword(clientId, { lifetimeDays: 120 });
    const reconnected = await enterSecret(connector, await manualReconnectLink(connector, tenantId), {
      tenantId,
      clientId,
      clientSecret: fresh.secretText,
    });
    expect(reconnected.status).toBe(200);
    const back = (await connector.call('GET', `/tenants/${tenantId}`)).body.nearRealTime;
    expect(back).toMatchObject({ state: 'on', enabled: true });
    // The old ones deleted at Graph once a token works again; two new ones.
    const ids = subscriptionsOf(tenantId).map((subscription) => subscription.id);
    expect(ids.sort()).toEqual(
      back.subscriptions.map((subscription: Subscription) => subscription.id).sort(),
    );
    expect(ids.some((id) => before.includes(id))).toBe(false);
  }, 90_000);

  it('takes up a quiet period whose message was lost: the sweep queues it again and its run starts', async () => {
    const { tenantId } = await selfManagedTenant(connector, { permissions: withGroups, quiet: true });
    expect(await replicationRun(connector, tenantId)).toBe('completed');
    await connector.call('PUT', `/tenants/${tenantId}/near-real-time`, { body: { enabled: true } });
    // A notification's quiet period whose message never came back.
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000).toISOString();
    await dependencies()
      .storage.table<Record<string, unknown>>(tableNames.tenants)
      .upsertMany([
        {
          partitionKey: tenantId,
          rowKey: 'notified-changes',
          pendingSince: tenMinutesAgo,
          lastNotifiedAt: tenMinutesAgo,
          notifications: 1,
          runsStarted: 0,
        },
      ]);
    await fireSweep('near-real-time-sweep');
    await until(
      () => notifiedRuns(tenantId),
      (runs) => runs.length === 1 && runs[0]?.status === 'completed',
      30_000,
    );
    expect(
      (await connector.call('GET', `/tenants/${tenantId}`)).body.nearRealTime.pendingSince,
    ).toBeUndefined();
  }, 60_000);

  it('turns on from the invitation: the app is made with Group.Read.All and subscribed once the admin signed in', async () => {
    const { id: tenantId, admin } = tenantWithAdmin(connector, {
      name: `Notified From Start ${process.pid}`,
      alias: 'nrt',
      seed: process.pid * 100 + 91,
    });
    const invitation = await connector.call('POST', '/invitations', {
      body: {
        customer: { reference: 'C-nrt', name: 'Notified Customer' },
        services: [{ id: 'dr-london', name: 'Direct Routing London' }],
        licenceType: 'HostedPro',
        method: 'either',
        nearRealTime: true,
      },
    });
    expect(invitation.body.nearRealTime).toBe(true);
    const path = new URL(invitation.body.url).pathname;
    const landing = await new PageSession(connector.host.url).get(path);
    expect(landing.html).toContain('Group.Read.All');
    expect((await onboardBySignIn(connector, path, admin)).status).toBe(200);
    const view = (await connector.call('GET', `/tenants/${tenantId}`)).body;
    expect(view.nearRealTime).toMatchObject({ enabled: true });
    expect(subscriptionsOf(tenantId).map((subscription) => subscription.resource)).toEqual([
      '/users',
      '/groups',
    ]);
    const report = (await connector.call('GET', `/tenants/${tenantId}/validation`)).body.report;
    expect(
      report.requirements.find((requirement: { id: string }) => requirement.id === 'near_real_time'),
    ).toMatchObject({ satisfied: true });
  }, 60_000);

  it('turned on twice at once (a double click): one does it, the other waits for it; both answer on, two subscriptions', async () => {
    const { tenantId } = await selfManagedTenant(connector, { permissions: withGroups, quiet: true });
    const answers = await Promise.all(
      [1, 2].map(() =>
        connector.call('PUT', `/tenants/${tenantId}/near-real-time`, { body: { enabled: true } }),
      ),
    );
    expect(answers.map((answer) => [answer.status, answer.body.state])).toEqual([
      [200, 'on'],
      [200, 'on'],
    ]);
    expect(answers[0]?.body.subscriptions).toEqual(answers[1]?.body.subscriptions);
    expect(subscriptionsOf(tenantId)).toHaveLength(2);
    expect(
      (await connector.call('GET', `/tenants/${tenantId}`)).body.nearRealTime.subscriptions,
    ).toHaveLength(2);
  }, 60_000);
});
