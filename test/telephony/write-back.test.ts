import { describe, expect, it } from 'vitest';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { PageSession } from '../support/browserless.js';
import { onboardBySignIn } from '../support/certificate-tenant.js';
import { until } from '../support/eventually.js';
import { checkFeedsAfterEach } from '../support/feed-invariant.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { tenantWithAdmin } from '../support/tenant-with-admin.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();
checkFeedsAfterEach(connector);

const writing = [
  ...requiredPermissions.replication,
  ...requiredPermissions.selfRotation,
  ...requiredPermissions.writeBack,
];

type Change = { kind: string; id: string; op?: string; data?: Record<string, unknown> };

/** A tenant of its own with write-back on and its permissions granted, replicated once. */
async function writeBackTenant() {
  const tenant = await selfManagedTenant(connector, { permissions: writing, quiet: true });
  const turnedOn = await connector.call('PUT', `/tenants/${tenant.tenantId}/write-back`, {
    body: { enabled: true },
  });
  expect(turnedOn.status).toBe(200);
  expect(turnedOn.body).toEqual({ tenantId: tenant.tenantId, writeBack: true, missingPermissions: [] });
  const sim = connector.simulator.directory.tenant(tenant.tenantId);
  const users = [...sim.teamsConfigurations.keys()];
  const free = [...sim.numberAssignments.values()].filter((number) => !number.assignmentTargetId);
  return { tenantId: tenant.tenantId, sim, users, free: free.map((number) => number.telephoneNumber) };
}

const request = (
  tenantId: string,
  path: 'number-assignments' | 'policy-assignments',
  body: Record<string, unknown>,
) => connector.call('POST', `/tenants/${tenantId}/${path}`, { body });

/** Follows a request to its end through the API. */
async function ended(tenantId: string, requestId: string) {
  const view = await until(
    () => connector.call('GET', `/tenants/${tenantId}/telephony-requests/${requestId}`),
    (response) => ['succeeded', 'failed'].includes(response.body.state),
    45_000,
  );
  return view.body;
}

const eventsOf = (tenantId: string, requestId: string) =>
  connector.standIn.events.filter(
    (event) =>
      event.type.startsWith('telephony.') &&
      event.data.tenantId === tenantId &&
      event.data.requestId === requestId,
  );

/** The core's read of the whole feed. */
async function feed(tenantId: string): Promise<Change[]> {
  const changes: Change[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await connector.call(
      'GET',
      `/tenants/${tenantId}/changes${cursor ? `?cursor=${cursor}` : ''}`,
    );
    expect(page.status).toBe(200);
    if (page.body.value.length === 0) return changes;
    changes.push(...page.body.value);
    cursor = page.body.cursor;
  }
}

const lastOf = (changes: Change[], kind: string, id: string) =>
  changes.filter((change) => change.kind === kind && change.id === id).at(-1);

describe('write-back: the core assigns numbers and policies through the connector', () => {
  it('assigns a number: one Graph order followed to its end, the replica and feed show it, one success event; the same request again changes nothing', async () => {
    const { tenantId, sim, users, free } = await writeBackTenant();
    const [userId, number] = [users[0] as string, free[0] as string];
    const body = { requestId: 'assign-1', action: 'assign', telephoneNumber: number, userId };
    const taken = await request(tenantId, 'number-assignments', body);
    expect(taken.status).toBe(202);
    expect(taken.body).toMatchObject({
      requestId: 'assign-1',
      kind: 'number',
      action: 'assign',
      state: 'queued',
    });
    const done = await ended(tenantId, 'assign-1');
    expect(done).toMatchObject({
      state: 'succeeded',
      outcome: {
        number: { telephoneNumber: number, assignmentTargetId: userId, assignmentStatus: 'userAssigned' },
        enterpriseVoiceEnabled: true,
        replicaUpdated: true,
      },
    });
    const changes = await feed(tenantId);
    expect(lastOf(changes, 'number', number)?.data).toMatchObject({
      assignedTo: userId,
      assignmentStatus: 'userAssigned',
    });
    expect(JSON.parse(String(lastOf(changes, 'voice', userId)?.data?.phoneNumbers))).toContain(number);
    await until(
      async () => eventsOf(tenantId, 'assign-1'),
      (events) => events.length > 0,
      10_000,
    );
    expect(eventsOf(tenantId, 'assign-1').map((event) => event.type)).toEqual([
      'telephony.request_succeeded',
    ]);
    expect(eventsOf(tenantId, 'assign-1')[0]?.data).toMatchObject({
      kind: 'number',
      action: 'assign',
      telephoneNumber: number,
      userId,
      enterpriseVoiceEnabled: true,
      replicaUpdated: true,
    });

    const again = await request(tenantId, 'number-assignments', body);
    expect(again.status).toBe(200);
    expect(again.body.state).toBe('succeeded');
    const orders = [...sim.numberOrders.values()].filter((order) => order.telephoneNumber === number);
    expect(orders).toHaveLength(1);
    const other = await request(tenantId, 'number-assignments', { ...body, userId: users[1] });
    expect(other.status).toBe(409);
    expect(other.body.type).toMatch(/telephony_request_conflict$/);
  }, 90_000);

  it('fails a refused assignment with Microsoft’s statusDetail and one failure event; nothing changes', async () => {
    const { tenantId, sim, users } = await writeBackTenant();
    const taken = await request(tenantId, 'number-assignments', {
      requestId: 'not-ours',
      action: 'assign',
      telephoneNumber: '+15550100999',
      userId: users[0],
    });
    expect(taken.status).toBe(202);
    const done = await ended(tenantId, 'not-ours');
    expect(done.state).toBe('failed');
    expect(done.statusDetail).toBe('The telephone number +15550100999 was not found in the tenant.');
    expect(done.failure).toMatch(/^Microsoft could not assign \+15550100999: The telephone number/);
    await until(
      async () => eventsOf(tenantId, 'not-ours'),
      (events) => events.length > 0,
      10_000,
    );
    expect(eventsOf(tenantId, 'not-ours')).toHaveLength(1);
    expect(eventsOf(tenantId, 'not-ours')[0]).toMatchObject({
      type: 'telephony.request_failed',
      data: {
        statusDetail: 'The telephone number +15550100999 was not found in the tenant.',
        reason: done.failure,
      },
    });
    expect(
      [...sim.numberAssignments.values()].some((number) => number.telephoneNumber === '+15550100999'),
    ).toBe(false);

    // A user whose Teams Phone licence went: Microsoft says so for the number.
    const user = sim.users.get(users[1] as string);
    if (user) user.assignedLicenses = [];
    const free = [...sim.numberAssignments.values()].find(
      (number) => !number.assignmentTargetId,
    )?.telephoneNumber;
    await request(tenantId, 'number-assignments', {
      requestId: 'unlicensed',
      action: 'assign',
      telephoneNumber: free,
      userId: users[1],
    });
    const unlicensed = await ended(tenantId, 'unlicensed');
    expect(unlicensed.state).toBe('failed');
    expect(unlicensed.statusDetail).toMatch(/does not have a Teams Phone license/);
    expect(sim.numberAssignments.get(free as string)?.assignmentTargetId).toBeNull();
  }, 90_000);

  it('unassigns and updates a number, in the order they were asked for, each ending in the feed', async () => {
    const { tenantId, sim, users } = await writeBackTenant();
    const held = [...sim.numberAssignments.values()].find((number) => number.assignmentTargetId === users[0]);
    const number = held?.telephoneNumber as string;
    const [update, unassign] = await Promise.all([
      request(tenantId, 'number-assignments', {
        requestId: 'move-1',
        action: 'update',
        telephoneNumber: number,
        locationId: 'loc-london',
      }),
      request(tenantId, 'number-assignments', {
        requestId: 'free-1',
        action: 'unassign',
        telephoneNumber: number,
      }),
    ]);
    expect([update.status, unassign.status]).toEqual([202, 202]);
    const [moved, freed] = [await ended(tenantId, 'move-1'), await ended(tenantId, 'free-1')];
    expect(moved).toMatchObject({ state: 'succeeded', outcome: { number: { locationId: 'loc-london' } } });
    expect(freed).toMatchObject({ state: 'succeeded', outcome: { number: { assignmentTargetId: null } } });
    expect(Date.parse(moved.finishedAt)).toBeLessThanOrEqual(Date.parse(freed.finishedAt));
    expect(sim.numberAssignments.get(number)).toMatchObject({
      assignmentTargetId: null,
      locationId: 'loc-london',
    });
    const changes = await feed(tenantId);
    expect(lastOf(changes, 'number', number)?.data).toMatchObject({
      assignedTo: '',
      assignmentStatus: 'unassigned',
    });
    expect(
      JSON.parse(String(lastOf(changes, 'voice', users[0] as string)?.data?.phoneNumbers)),
    ).not.toContain(number);
    const listed = await connector.call('GET', `/tenants/${tenantId}/telephony-requests`);
    expect(listed.body.value.map((view: { requestId: string }) => view.requestId).sort()).toEqual([
      'free-1',
      'move-1',
    ]);
    expect(
      (await connector.call('GET', `/tenants/${tenantId}/telephony-requests?working=true`)).body.value,
    ).toEqual([]);
  }, 90_000);

  it('assigns a policy by its name and takes it back; an unknown policy type fails on Microsoft’s word', async () => {
    const { tenantId, sim, users } = await writeBackTenant();
    const userId = users[0] as string;
    await request(tenantId, 'policy-assignments', {
      requestId: 'route-intl',
      action: 'assign',
      userId,
      policyType: 'OnlineVoiceRoutingPolicy',
      policyName: 'DR-UK-International',
    });
    const assigned = await ended(tenantId, 'route-intl');
    const effective = () =>
      sim.teamsConfigurations
        .get(userId)
        ?.effectivePolicyAssignments.find((entry) => entry.policyType === 'OnlineVoiceRoutingPolicy')
        ?.policyAssignment;
    expect(assigned).toMatchObject({
      state: 'succeeded',
      policyName: 'DR-UK-International',
      outcome: { replicaUpdated: true },
    });
    expect(assigned.policyId).toBe(effective()?.policyId);
    expect(assigned.outcome.effectivePolicyId).toBe(assigned.policyId);
    expect(lastOf(await feed(tenantId), 'voice', userId)?.data?.voiceRoutingPolicy).toBe(
      'DR-UK-International',
    );

    await request(tenantId, 'policy-assignments', {
      requestId: 'route-back',
      action: 'unassign',
      userId,
      policyType: 'OnlineVoiceRoutingPolicy',
    });
    expect(await ended(tenantId, 'route-back')).toMatchObject({
      state: 'succeeded',
      outcome: { effectivePolicyId: 'Global' },
    });
    expect(effective()?.policyId).toBe('Global');

    await request(tenantId, 'policy-assignments', {
      requestId: 'flying',
      action: 'assign',
      userId,
      policyType: 'TeamsFlyingPolicy',
      policyId: 'Global',
    });
    const refused = await ended(tenantId, 'flying');
    expect(refused.state).toBe('failed');
    expect(refused.failure).toBe(
      "Microsoft refused the request: Graph 400 Request_BadRequest: The policy type 'TeamsFlyingPolicy' is not supported.",
    );
  }, 90_000);

  it('takes the same request twice at once as one (a retry racing the original): one 202, one 200, one Graph order', async () => {
    const { tenantId, sim, users, free } = await writeBackTenant();
    const body = { requestId: 'double', action: 'assign', telephoneNumber: free[1], userId: users[1] };
    const answers = await Promise.all([
      request(tenantId, 'number-assignments', body),
      request(tenantId, 'number-assignments', body),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 202]);
    expect((await ended(tenantId, 'double')).state).toBe('succeeded');
    expect([...sim.numberOrders.values()].filter((order) => order.telephoneNumber === free[1])).toHaveLength(
      1,
    );
    await until(
      async () => eventsOf(tenantId, 'double'),
      (events) => events.length > 0,
      10_000,
    );
    expect(eventsOf(tenantId, 'double')).toHaveLength(1);
  }, 90_000);

  it('does not order a number twice when Microsoft took the order but its answer was lost', async () => {
    const { tenantId, sim, users, free } = await writeBackTenant();
    const number = free[2] as string;
    connector.simulator.faults.add({
      path: '/assignNumber$',
      method: 'POST',
      afterWrite: true,
      status: 503,
      count: 1,
    });
    await request(tenantId, 'number-assignments', {
      requestId: 'lost-answer',
      action: 'assign',
      telephoneNumber: number,
      userId: users[0],
    });
    const done = await ended(tenantId, 'lost-answer');
    expect(done).toMatchObject({ state: 'succeeded', outcome: { number: { assignmentTargetId: users[0] } } });
    expect([...sim.numberOrders.values()].filter((order) => order.telephoneNumber === number)).toHaveLength(
      1,
    );
  }, 90_000);

  it('turns on from the invitation: the app is made with the write permissions and the first assignment works', async () => {
    const { id: tenantId, admin } = tenantWithAdmin(connector, {
      name: `Write-back From Start ${process.pid}`,
      alias: 'wb',
      seed: process.pid * 100 + 93,
    });
    const invitation = await connector.call('POST', '/invitations', {
      body: {
        customer: { reference: 'C-wb', name: 'Write-back Customer' },
        services: [{ id: 'dr-london', name: 'Direct Routing London' }],
        licenceType: 'HostedPro',
        method: 'either',
        writeBack: true,
      },
    });
    expect(invitation.body.writeBack).toBe(true);
    const path = new URL(invitation.body.url).pathname;
    const landing = await new PageSession(connector.host.url).get(path);
    for (const permission of requiredPermissions.writeBack) expect(landing.html).toContain(permission);
    expect((await onboardBySignIn(connector, path, admin)).status).toBe(200);
    expect((await connector.call('GET', `/tenants/${tenantId}`)).body.writeBack).toBe(true);
    const report = (await connector.call('GET', `/tenants/${tenantId}/validation`)).body.report;
    expect(report.requirements.find((entry: { id: string }) => entry.id === 'write_back')).toMatchObject({
      satisfied: true,
    });
    const sim = connector.simulator.directory.tenant(tenantId);
    const userId = [...sim.teamsConfigurations.keys()][0] as string;
    const number = [...sim.numberAssignments.values()].find((candidate) => !candidate.assignmentTargetId)
      ?.telephoneNumber as string;
    await request(tenantId, 'number-assignments', {
      requestId: 'first',
      action: 'assign',
      telephoneNumber: number,
      userId,
    });
    expect((await ended(tenantId, 'first')).state).toBe('succeeded');
  }, 90_000);

  it('refuses requests while write-back is off, with a clear problem, and changes nothing', async () => {
    const tenant = await selfManagedTenant(connector, { permissions: requiredPermissions.replication });
    const off = await request(tenant.tenantId, 'number-assignments', {
      requestId: 'off',
      action: 'unassign',
      telephoneNumber: '+442070000000',
    });
    expect(off.status).toBe(409);
    expect(off.body).toMatchObject({ status: 409 });
    expect(off.body.type).toMatch(/write_back_off$/);
    expect(
      (await connector.call('GET', `/tenants/${tenant.tenantId}/telephony-requests`)).body.value,
    ).toEqual([]);
    const on = await connector.call('PUT', `/tenants/${tenant.tenantId}/write-back`, {
      body: { enabled: true },
    });
    expect(on.body.missingPermissions).toEqual(requiredPermissions.writeBack);
    expect(on.body.guidanceUrl).toMatch(/^https?:\/\/.+\/api\/role-guidance\//);
    const report = (await connector.call('GET', `/tenants/${tenant.tenantId}`)).body;
    expect(report.writeBack).toBe(true);
    const invalid = await request(tenant.tenantId, 'number-assignments', {
      requestId: 'x',
      action: 'assign',
      telephoneNumber: 'call me',
    });
    expect(invalid.status).toBe(400);
  }, 60_000);
});
