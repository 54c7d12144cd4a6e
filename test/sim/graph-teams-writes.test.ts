import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultGraphConfig } from '../../sim/graph/graph-config.js';
import type { SampleWorld } from '../../sim/sample-world.js';
import type { Simulator } from '../../sim/server.js';
import { appToken, graphFetch, startSampleSimulator } from './sim-fixture.js';

let simulator: Simulator;
let world: SampleWorld;

beforeAll(async () => {
  ({ simulator, world } = await startSampleSimulator());
});

afterAll(async () => {
  await simulator?.stop();
});

afterEach(() => {
  simulator.control.setGraphConfig({
    numberOperationMs: defaultGraphConfig.numberOperationMs,
    numberOperationWrapped: true,
    teamsApis: true,
    policyPropagationMs: 0,
    assignEnablesEnterpriseVoice: true,
  });
});

const tenantId = () => (world.tenants[0] as SampleWorld['tenants'][number]).id;
const telephony = ['TeamsUserConfiguration.Read.All', 'TeamsTelephoneNumber.ReadWrite.All'];
const numbersPath = '/admin/teams/telephoneNumberManagement/numberAssignments';

async function appGraph(permissions: string[]) {
  const tenant = simulator.directory.tenant(tenantId());
  const app = simulator.directory.addApplication({ homeTenantId: tenant.id, displayName: 'writer' });
  const secret = simulator.directory.addPassword(app.appId);
  simulator.control.grantGraphPermissions(tenant.id, app.appId, permissions);
  return graphFetch(simulator, await appToken(simulator, tenant.id, app.appId, secret.secretText));
}

type Graph = Awaited<ReturnType<typeof appGraph>>;

/** A free Direct Routing number and a licensed Teams user without one of their own chosen for the test. */
function freeNumber(): string {
  const tenant = simulator.directory.tenant(tenantId());
  const free = [...tenant.numberAssignments.values()].find(
    (number) => number.assignmentStatus === 'unassigned' && number.activationState === 'activated',
  );
  if (!free) throw new Error('no free number left');
  return free.telephoneNumber;
}

function voiceUser(): string {
  const tenant = simulator.directory.tenant(tenantId());
  const [first] = tenant.teamsConfigurations.keys();
  if (!first) throw new Error('no Teams user');
  return first;
}

const operationOf = (body: { value?: unknown } & Record<string, unknown>) =>
  (body.value && !Array.isArray(body.value) ? body.value : body) as {
    status: string;
    numbers: { status: string; statusDetail?: string; resourceLocation: string | null }[];
  };

async function until(graph: Graph, location: string, done: (status: string) => boolean) {
  const seen: string[] = [];
  for (let tries = 0; tries < 200; tries += 1) {
    const status = operationOf((await graph(location)).body).status;
    if (seen.at(-1) !== status) seen.push(status);
    if (done(status)) return seen;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`operation still ${seen.at(-1)}`);
}

describe('Teams number assignment through Graph (asynchronous orders)', () => {
  it('answers 202 with the operation in Location; the operation goes notStarted → running → succeeded, and then the number and the user show it', async () => {
    const graph = await appGraph(telephony);
    simulator.control.setGraphConfig({ numberOperationMs: 1_000 });
    const [number, userId] = [freeNumber(), voiceUser()];
    const sent = await graph(`${numbersPath}/assignNumber`, {
      method: 'POST',
      body: JSON.stringify({
        telephoneNumber: number,
        assignmentTargetId: userId,
        numberType: 'directRouting',
        assignmentCategory: 'private',
      }),
    });
    expect(sent.status).toBe(202);
    const location = sent.headers.get('location') as string;
    expect(location).toMatch(/\/admin\/teams\/telephoneNumberManagement\/operations\('[A-Za-z0-9_-]+'\)$/);
    const pending = await graph(`${numbersPath}?$filter=telephoneNumber eq '${encodeURIComponent(number)}'`);
    expect(pending.body.value[0]).toMatchObject({
      activationState: 'assignmentPending',
      assignmentStatus: 'unassigned',
    });
    const seen = await until(graph, location, (status) => status === 'succeeded');
    expect(seen).toEqual(['notStarted', 'running', 'succeeded']);
    const operation = operationOf((await graph(location)).body);
    expect(operation.numbers[0]?.status).toBe('succeeded');
    expect(operation.numbers[0]?.resourceLocation).toMatch(/numberAssignments\/[0-9a-f-]{36}$/);
    const after = await graph(`${numbersPath}?$filter=telephoneNumber eq '${encodeURIComponent(number)}'`);
    expect(after.body.value[0]).toMatchObject({
      assignmentTargetId: userId,
      assignmentCategory: 'private',
      assignmentStatus: 'userAssigned',
      activationState: 'activated',
    });
    const user = await graph(`/admin/teams/userConfigurations/${userId}`);
    expect(user.body.telephoneNumbers).toContainEqual({
      telephoneNumber: number,
      assignmentCategory: 'private',
    });

    // The same operation by its other address form, bare rather than inside `value`.
    simulator.control.setGraphConfig({ numberOperationWrapped: false });
    const id = /operations\('([^']+)'\)/.exec(location)?.[1];
    const bare = await graph(`/admin/teams/telephoneNumberManagement/operations/${id}`);
    expect(bare.body).toMatchObject({ id, status: 'succeeded' });
  });

  it('fails the operation, with a statusDetail, for a number not in the tenant, a number someone else holds, and a user without Teams Phone', async () => {
    const graph = await appGraph(telephony);
    simulator.control.setGraphConfig({ numberOperationMs: 0 });
    const tenant = simulator.directory.tenant(tenantId());
    const taken = [...tenant.numberAssignments.values()].find((number) => number.assignmentTargetId);
    const unlicensed = [...tenant.users.values()].find((user) => user.assignedLicenses.length === 0);
    const cases = [
      {
        telephoneNumber: '+15550100000',
        assignmentTargetId: voiceUser(),
        detail: /was not found in the tenant/,
      },
      {
        telephoneNumber: taken?.telephoneNumber,
        assignmentTargetId: [...tenant.teamsConfigurations.keys()].find(
          (id) => id !== taken?.assignmentTargetId,
        ),
        detail: /already assigned to another account/,
      },
      { telephoneNumber: freeNumber(), assignmentTargetId: unlicensed?.id, detail: /Teams Phone license/ },
    ];
    for (const { detail, ...body } of cases) {
      const sent = await graph(`${numbersPath}/assignNumber`, {
        method: 'POST',
        body: JSON.stringify({ ...body, numberType: 'directRouting' }),
      });
      expect(sent.status).toBe(202);
      const operation = operationOf((await graph(sent.headers.get('location') as string)).body);
      expect(operation.status).toBe('failed');
      expect(operation.numbers[0]?.statusDetail).toMatch(detail);
    }
    expect(taken?.assignmentStatus).toBe('userAssigned');
  });

  it('refuses a malformed order at once (400), before any operation', async () => {
    const graph = await appGraph(telephony);
    const missing = await graph(`${numbersPath}/assignNumber`, {
      method: 'POST',
      body: JSON.stringify({ telephoneNumber: freeNumber(), numberType: 'directRouting' }),
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/assignmentTargetId/);
    const badType = await graph(`${numbersPath}/assignNumber`, {
      method: 'POST',
      body: JSON.stringify({
        telephoneNumber: freeNumber(),
        assignmentTargetId: voiceUser(),
        numberType: 'pstn',
      }),
    });
    expect(badType.status).toBe(400);
  });

  it('unassigns through an order too, and updates a number synchronously (an empty string clears, an absent field keeps)', async () => {
    const graph = await appGraph(telephony);
    simulator.control.setGraphConfig({ numberOperationMs: 0 });
    const tenant = simulator.directory.tenant(tenantId());
    const held = [...tenant.numberAssignments.values()].find((number) => number.assignmentTargetId);
    const holder = held?.assignmentTargetId as string;
    const updated = await graph(`${numbersPath}/updateNumber`, {
      method: 'POST',
      body: JSON.stringify({
        telephoneNumber: held?.telephoneNumber,
        locationId: 'loc-1',
        networkSiteId: 'site-1',
      }),
    });
    expect(updated.status).toBe(200);
    await graph(`${numbersPath}/updateNumber`, {
      method: 'POST',
      body: JSON.stringify({ telephoneNumber: held?.telephoneNumber, locationId: '' }),
    });
    expect(held).toMatchObject({ locationId: null, networkSiteId: 'site-1' });
    expect(
      (
        await graph(`${numbersPath}/updateNumber`, {
          method: 'POST',
          body: JSON.stringify({ telephoneNumber: '+15550100001', locationId: 'x' }),
        })
      ).status,
    ).toBe(404);

    const freed = await graph(`${numbersPath}/unassignNumber`, {
      method: 'POST',
      body: JSON.stringify({ telephoneNumber: held?.telephoneNumber, numberType: 'directRouting' }),
    });
    expect(freed.status).toBe(202);
    expect(operationOf((await graph(freed.headers.get('location') as string)).body).status).toBe('succeeded');
    expect(held).toMatchObject({ assignmentTargetId: null, assignmentStatus: 'unassigned' });
    const user = await graph(`/admin/teams/userConfigurations/${holder}`);
    expect(
      user.body.telephoneNumbers.map((entry: { telephoneNumber: string }) => entry.telephoneNumber),
    ).not.toContain(held?.telephoneNumber);
  });

  it('takes TeamsTelephoneNumber.ReadWrite.All to write (403 in the Teams words), and is unknown in a national cloud', async () => {
    const reader = await appGraph(['TeamsTelephoneNumber.Read.All']);
    const refused = await reader(`${numbersPath}/assignNumber`, {
      method: 'POST',
      body: JSON.stringify({
        telephoneNumber: freeNumber(),
        assignmentTargetId: voiceUser(),
        numberType: 'directRouting',
      }),
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'forbidden' });
    expect(refused.body.error.message).toMatch(/TeamsTelephoneNumber.ReadWrite.All/);
    simulator.control.setGraphConfig({ teamsApis: false });
    const writer = await appGraph(telephony);
    const national = await writer(`${numbersPath}/unassignNumber`, {
      method: 'POST',
      body: JSON.stringify({ telephoneNumber: freeNumber() }),
    });
    expect(national.status).toBe(400);
    expect(national.body.error.message).toBe("Resource not found for the segment 'teams'.");
  });
});

describe('Teams policies through Graph', () => {
  const policies = ['TeamsPolicyUserAssign.ReadWrite.All', 'TeamsUserConfiguration.Read.All'];

  it('finds a policy id by type and name, assigns it (204) and shows it once Teams applied it; unassigning leaves Global', async () => {
    const graph = await appGraph(policies);
    const found = await graph(
      "/admin/teams/policy/getPolicyId(type='OnlineVoiceRoutingPolicy',name='DR-UK-International')",
    );
    expect(found.status).toBe(200);
    expect(found.body.value).toHaveLength(1);
    expect(found.body.value[0]).toMatchObject({ name: 'Tag:DR-UK-International' });
    const policyId = found.body.value[0].policyId as string;
    expect(
      (await graph("/admin/teams/policy/getPolicyId(type='OnlineVoiceRoutingPolicy',name='Nowhere')")).body
        .value,
    ).toEqual([]);

    simulator.control.setGraphConfig({ policyPropagationMs: 300 });
    const userId = voiceUser();
    const assigned = await graph('/admin/teams/policy/userAssignments/assign', {
      method: 'POST',
      body: JSON.stringify({ value: [{ userId, policyType: 'OnlineVoiceRoutingPolicy', policyId }] }),
    });
    expect(assigned.status).toBe(204);
    const effective = async () =>
      (await graph(`/admin/teams/userConfigurations/${userId}`)).body.effectivePolicyAssignments.find(
        (entry: { policyType: string }) => entry.policyType === 'OnlineVoiceRoutingPolicy',
      )?.policyAssignment.policyId;
    expect(await effective()).not.toBe(policyId);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await effective()).toBe(policyId);

    simulator.control.setGraphConfig({ policyPropagationMs: 0 });
    const unassigned = await graph('/admin/teams/policy/userAssignments/unassign', {
      method: 'POST',
      body: JSON.stringify({ value: [{ userId, policyType: 'OnlineVoiceRoutingPolicy' }] }),
    });
    expect(unassigned.status).toBe(204);
    expect(await effective()).toBe('Global');
  });

  it('refuses a policy type it does not take, an unknown policy and an unknown user, and changes nothing', async () => {
    const graph = await appGraph(policies);
    const userId = voiceUser();
    const before = JSON.stringify((await graph(`/admin/teams/userConfigurations/${userId}`)).body);
    const assign = (entry: Record<string, string>) =>
      graph('/admin/teams/policy/userAssignments/assign', {
        method: 'POST',
        body: JSON.stringify({ value: [entry] }),
      });
    const badType = await assign({ userId, policyType: 'TeamsFlyingPolicy', policyId: 'Global' });
    expect(badType.status).toBe(400);
    expect(badType.body.error.message).toBe("The policy type 'TeamsFlyingPolicy' is not supported.");
    expect((await assign({ userId, policyType: 'TeamsCallingPolicy', policyId: 'no-such-id' })).status).toBe(
      404,
    );
    expect(
      (
        await assign({
          userId: '00000000-0000-0000-0000-000000000000',
          policyType: 'TeamsCallingPolicy',
          policyId: 'Global',
        })
      ).status,
    ).toBe(404);
    expect(JSON.stringify((await graph(`/admin/teams/userConfigurations/${userId}`)).body)).toBe(before);
    const reader = await appGraph(['TeamsUserConfiguration.Read.All']);
    expect(
      (await reader("/admin/teams/policy/getPolicyId(type='TeamsCallingPolicy',name='Global')")).status,
    ).toBe(403);
  });
});
