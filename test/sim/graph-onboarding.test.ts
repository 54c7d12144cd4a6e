import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphAppId, graphAppRoleId, roles } from '../../sim/graph/graph-permissions.js';
import type { SampleWorld } from '../../sim/sample-world.js';
import type { Simulator } from '../../sim/server.js';
import { appToken, claimsOf, delegatedToken, graphFetch, startSampleSimulator } from './sim-fixture.js';

let simulator: Simulator;
let world: SampleWorld;
const scopes = [
  'Application.ReadWrite.All',
  'AppRoleAssignment.ReadWrite.All',
  'RoleManagement.ReadWrite.Directory',
  'Directory.Read.All',
];

beforeAll(async () => {
  ({ simulator, world } = await startSampleSimulator());
});

afterAll(async () => {
  await simulator?.stop();
});

const tenantOf = (index: number) => world.tenants[index] as SampleWorld['tenants'][number];

async function adminGraph(index: number) {
  const tenant = tenantOf(index);
  return graphFetch(
    simulator,
    await delegatedToken(simulator, world, tenant.admin.userPrincipalName, scopes),
  );
}

async function createRegistration(graph: Awaited<ReturnType<typeof adminGraph>>) {
  const app = await graph('/applications', {
    method: 'POST',
    body: JSON.stringify({
      displayName: 'Live Platform Connector',
      signInAudience: 'AzureADMyOrg',
      requiredResourceAccess: [
        {
          resourceAppId: graphAppId,
          resourceAccess: [{ id: graphAppRoleId('User.Read.All'), type: 'Role' }],
        },
      ],
    }),
  });
  expect(app.status).toBe(201);
  const principal = await graph('/servicePrincipals', {
    method: 'POST',
    body: JSON.stringify({ appId: app.body.appId }),
  });
  expect(principal.status).toBe(201);
  return { app: app.body, principal: principal.body };
}

describe('creating an app registration as a Global Administrator (delegated)', () => {
  it('creates the app, a secret, its service principal, grants a Graph permission and assigns a role', async () => {
    const graph = await adminGraph(0);
    const { app, principal } = await createRegistration(graph);
    const secret = await graph(`/applications/${app.id}/addPassword`, {
      method: 'POST',
      body: JSON.stringify({
        passwordCredential: {
          displayName: 'service-1',
          endDateTime: new Date(Date.now() + 180 * 86_400_000).toISOString(),
        },
      }),
    });
    expect(secret.status).toBe(200);
    expect(secret.body.secretText).toMatch(/~/);
    expect((await graph(`/applications/${app.id}`)).body.passwordCredentials[0].secretText).toBeNull();

    const graphPrincipal = await graph(`/servicePrincipals?$filter=appId eq '${graphAppId}'`);
    const userReadAll = graphPrincipal.body.value[0].appRoles.find(
      (role: { value: string }) => role.value === 'User.Read.All',
    );
    const grant = await graph(`/servicePrincipals/${graphPrincipal.body.value[0].id}/appRoleAssignedTo`, {
      method: 'POST',
      body: JSON.stringify({
        principalId: principal.id,
        resourceId: graphPrincipal.body.value[0].id,
        appRoleId: userReadAll.id,
      }),
    });
    expect(grant.status).toBe(201);
    const role = await graph('/roleManagement/directory/roleAssignments', {
      method: 'POST',
      body: JSON.stringify({
        principalId: principal.id,
        roleDefinitionId: roles.teamsAdministrator,
        directoryScopeId: '/',
      }),
    });
    expect(role.status).toBe(201);
    const listed = await graph(
      `/roleManagement/directory/roleAssignments?$filter=principalId eq '${principal.id}'`,
    );
    expect(listed.body.value.map((entry: { roleDefinitionId: string }) => entry.roleDefinitionId)).toEqual([
      roles.teamsAdministrator,
    ]);

    const token = await appToken(simulator, tenantOf(0).id, app.appId, secret.body.secretText);
    expect(claimsOf(token).roles).toEqual(['User.Read.All']);
  });

  it('lets the app own itself and rotate its own secret with Application.ReadWrite.OwnedBy, and nothing else', async () => {
    const graph = await adminGraph(0);
    const { app, principal } = await createRegistration(graph);
    const other = await createRegistration(graph);
    expect(
      (
        await graph(`/applications/${app.id}/owners/$ref`, {
          method: 'POST',
          body: JSON.stringify({
            '@odata.id': `${simulator.graphEndpoint}/v1.0/directoryObjects/${principal.id}`,
          }),
        })
      ).status,
    ).toBe(204);
    simulator.control.grantGraphPermissions(tenantOf(0).id, app.appId, ['Application.ReadWrite.OwnedBy']);
    const first = await graph(`/applications/${app.id}/addPassword`, { method: 'POST', body: '{}' });
    const self = graphFetch(
      simulator,
      await appToken(simulator, tenantOf(0).id, app.appId, first.body.secretText),
    );
    const rotated = await self(`/applications/${app.id}/addPassword`, {
      method: 'POST',
      body: JSON.stringify({ passwordCredential: { displayName: 'rotated' } }),
    });
    expect(rotated.status).toBe(200);
    expect(
      (
        await self(`/applications/${app.id}/removePassword`, {
          method: 'POST',
          body: JSON.stringify({ keyId: first.body.keyId }),
        })
      ).status,
    ).toBe(204);
    expect(
      (await self(`/applications/${other.app.id}/addPassword`, { method: 'POST', body: '{}' })).status,
    ).toBe(403);
  });

  it("refuses a secret longer than the tenant's app management policy allows, and accepts a shorter one", async () => {
    const graph = await adminGraph(0);
    const { app } = await createRegistration(graph);
    simulator.control.setPolicies(tenantOf(0).id, { maxSecretLifetimeDays: 30 });
    const tooLong = await graph(`/applications/${app.id}/addPassword`, { method: 'POST', body: '{}' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).toBe('CredentialInvalidLifetimeAsPerAppPolicy');
    expect(tooLong.body.error.details[0]).toMatchObject({ code: 'InvalidKeyEndDate', target: 'EndDate' });
    const shorter = await graph(`/applications/${app.id}/addPassword`, {
      method: 'POST',
      body: JSON.stringify({
        passwordCredential: { endDateTime: new Date(Date.now() + 20 * 86_400_000).toISOString() },
      }),
    });
    expect(shorter.status).toBe(200);
    simulator.control.setPolicies(tenantOf(0).id, { maxSecretLifetimeDays: undefined });
  });
});

describe("the signed-in admin's directory roles", () => {
  it('refuses the OData cast without ConsistencyLevel: eventual and $count=true, as an advanced query', async () => {
    const graph = await adminGraph(0);
    const path = '/me/transitiveMemberOf/microsoft.graph.directoryRole';
    const bare = await graph(`${path}?$select=roleTemplateId`);
    expect(bare.status).toBe(400);
    expect(bare.body.error.code).toBe('Request_UnsupportedQuery');
    const noCount = await graph(`${path}?$select=roleTemplateId`, {
      headers: { ConsistencyLevel: 'eventual' },
    });
    expect(noCount.status).toBe(400);
    const asked = await graph(`${path}?$count=true&$select=roleTemplateId`, {
      headers: { ConsistencyLevel: 'eventual' },
    });
    expect(asked.status).toBe(200);
    expect(asked.body['@odata.count']).toBe(asked.body.value.length);
    expect(asked.body.value.map((role: { roleTemplateId: string }) => role.roleTemplateId)).toContain(
      roles.globalAdministrator,
    );
  });
});

describe("adding an owner, as Graph's permission table asks", () => {
  it('needs Directory.Read.All beside Application.ReadWrite.All (delegated)', async () => {
    const tenant = tenantOf(0);
    const without = graphFetch(
      simulator,
      await delegatedToken(simulator, world, tenant.admin.userPrincipalName, [
        'Application.ReadWrite.All',
        'AppRoleAssignment.ReadWrite.All',
      ]),
    );
    const app = await without('/applications', {
      method: 'POST',
      body: JSON.stringify({ displayName: 'Owner table app', signInAudience: 'AzureADMyOrg' }),
    });
    const principal = await without('/servicePrincipals', {
      method: 'POST',
      body: JSON.stringify({ appId: app.body.appId }),
    });
    const addOwner = (graph: typeof without) =>
      graph(`/applications/${app.body.id}/owners/$ref`, {
        method: 'POST',
        body: JSON.stringify({
          '@odata.id': `${simulator.graphEndpoint}/v1.0/directoryObjects/${principal.body.id}`,
        }),
      });
    const refused = await addOwner(without);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('Authorization_RequestDenied');
    expect((await addOwner(await adminGraph(0))).status).toBe(204);
  });
});

describe('a new app while Entra replicates it', () => {
  it('refuses its service principal with NoBackingApplicationObject for a while, then makes it', async () => {
    const graph = await adminGraph(0);
    simulator.control.setGraphConfig({ directoryReplicationMs: 300 });
    try {
      const app = await graph('/applications', {
        method: 'POST',
        body: JSON.stringify({ displayName: 'Lagging app', signInAudience: 'AzureADMyOrg' }),
      });
      const early = await graph('/servicePrincipals', {
        method: 'POST',
        body: JSON.stringify({ appId: app.body.appId }),
      });
      expect(early.status).toBe(400);
      expect(early.body.error).toMatchObject({
        code: 'Request_BadRequest',
        message: `The appId '${app.body.appId}' of the service principal does not reference a valid application object.`,
        details: [{ code: 'NoBackingApplicationObject', target: 'appId' }],
      });
      await new Promise((resolve) => setTimeout(resolve, 350));
      const made = await graph('/servicePrincipals', {
        method: 'POST',
        body: JSON.stringify({ appId: app.body.appId }),
      });
      expect(made.status).toBe(201);
    } finally {
      simulator.control.setGraphConfig({ directoryReplicationMs: 0 });
    }
  });
});

describe('creating an app registration as an Application Administrator only (delegated)', () => {
  it('creates the app and its service principal but may neither grant permissions nor assign roles', async () => {
    const graph = await adminGraph(1);
    const { principal } = await createRegistration(graph);
    const graphPrincipal = (await graph(`/servicePrincipals?$filter=appId eq '${graphAppId}'`)).body.value[0];
    const grant = await graph(`/servicePrincipals/${graphPrincipal.id}/appRoleAssignedTo`, {
      method: 'POST',
      body: JSON.stringify({
        principalId: principal.id,
        resourceId: graphPrincipal.id,
        appRoleId: graphAppRoleId('User.Read.All'),
      }),
    });
    expect(grant.status).toBe(403);
    const role = await graph('/roleManagement/directory/roleAssignments', {
      method: 'POST',
      body: JSON.stringify({
        principalId: principal.id,
        roleDefinitionId: roles.teamsAdministrator,
        directoryScopeId: '/',
      }),
    });
    expect(role.status).toBe(403);
  });
});

describe('automatic DNS, the activation user and Teams numbers (app-only)', () => {
  async function appGraph(permissions: string[]) {
    const tenant = simulator.directory.tenant(tenantOf(0).id);
    const app = simulator.directory.addApplication({ homeTenantId: tenant.id, displayName: 'dns' });
    const secret = simulator.directory.addPassword(app.appId);
    simulator.control.grantGraphPermissions(tenant.id, app.appId, permissions);
    return graphFetch(simulator, await appToken(simulator, tenant.id, app.appId, secret.secretText));
  }

  it('creates a sub-domain, hands out its TXT record, and verifies it only once the record is published', async () => {
    const graph = await appGraph(['Domain.ReadWrite.All']);
    expect(
      (await graph('/domains', { method: 'POST', body: JSON.stringify({ id: 'sbc1.customer.example.com' }) }))
        .status,
    ).toBe(201);
    const records = (await graph('/domains/sbc1.customer.example.com/verificationDnsRecords')).body.value;
    expect(records[0]).toMatchObject({ recordType: 'Txt', label: 'sbc1.customer.example.com' });
    expect(records[0].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(records[1]).toMatchObject({
      recordType: 'Mx',
      mailExchange: `${records[0].text.slice(3)}.msv1.invalid`,
      preference: 32767,
    });
    expect((await graph('/domains/sbc1.customer.example.com/verify', { method: 'POST' })).status).toBe(400);
    simulator.control.publishDnsTxt('sbc1.customer.example.com', records[0].text);
    const verified = await graph('/domains/sbc1.customer.example.com/verify', { method: 'POST' });
    expect(verified.body).toMatchObject({ id: 'sbc1.customer.example.com', isVerified: true });
  });

  it('creates the activation user on a verified domain and licenses it (usage location first)', async () => {
    const graph = await appGraph([
      'User.ReadWrite.All',
      'LicenseAssignment.ReadWrite.All',
      'Organization.Read.All',
    ]);
    const newUser = (upn: string) =>
      graph('/users', {
        method: 'POST',
        body: JSON.stringify({
          accountEnabled: true,
          displayName: 'Activation',
          mailNickname: 'activation',
          userPrincipalName: upn,
          passwordProfile: { password: 'x' },
        }),
      });
    expect((await newUser('activation@unverified.example.com')).status).toBe(400);
    const user = await newUser(`activation@${tenantOf(0).domain}`);
    expect(user.status).toBe(201);
    const sku = (await graph('/subscribedSkus')).body.value.find(
      (entry: { servicePlans: { servicePlanName: string }[] }) =>
        entry.servicePlans.some((plan) => plan.servicePlanName === 'MCOEV'),
    );
    const assign = () =>
      graph(`/users/${user.body.id}/assignLicense`, {
        method: 'POST',
        body: JSON.stringify({ addLicenses: [{ skuId: sku.skuId, disabledPlans: [] }], removeLicenses: [] }),
      });
    expect((await assign()).body.error.message).toContain('usage location');
    simulator.control.updateUser(tenantOf(0).id, user.body.id, { usageLocation: 'GB' });
    const licensed = await assign();
    expect(licensed.status).toBe(200);
    expect(licensed.body.assignedLicenses).toEqual([{ skuId: sku.skuId, disabledPlans: [] }]);
  });

  it('hides a new domain, a fresh verification and a new user from reads and references while Entra replicates them', async () => {
    const graph = await appGraph([
      'Domain.ReadWrite.All',
      'User.ReadWrite.All',
      'LicenseAssignment.ReadWrite.All',
    ]);
    const domain = 'lag.customer.example.com';
    const upn = `activation@${domain}`;
    const newUser = () =>
      graph('/users', {
        method: 'POST',
        body: JSON.stringify({
          accountEnabled: true,
          displayName: 'Activation',
          mailNickname: 'activation',
          userPrincipalName: upn,
          passwordProfile: { password: 'x' },
        }),
      });
    simulator.control.setGraphConfig({ directoryReplicationMs: 300 });
    try {
      await graph('/domains', { method: 'POST', body: JSON.stringify({ id: domain }) });
      const unknown = await graph(`/domains/${domain}/verificationDnsRecords`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('Request_ResourceNotFound');
      await new Promise((resolve) => setTimeout(resolve, 350));
      const records = (await graph(`/domains/${domain}/verificationDnsRecords`)).body.value;
      simulator.control.publishDnsTxt(domain, records[0].text);
      expect((await graph(`/domains/${domain}/verify`, { method: 'POST' })).body.isVerified).toBe(true);
      const early = await newUser();
      expect(early.status).toBe(400);
      expect(early.body.error.message).toContain(
        'The domain portion of the userPrincipalName property is invalid',
      );
      await new Promise((resolve) => setTimeout(resolve, 350));
      const made = await newUser();
      expect(made.status).toBe(201);
      const read = await graph(`/users/${made.body.id}`);
      expect(read.status).toBe(404);
      expect(read.body.error.message).toBe(
        `Resource '${made.body.id}' does not exist or one of its queried reference-property objects are not present.`,
      );
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect((await graph(`/users/${made.body.id}`)).status).toBe(200);
    } finally {
      simulator.control.setGraphConfig({ directoryReplicationMs: 0 });
    }
  });

  it('refuses the Teams endpoints in their own words, naming the permissions', async () => {
    const graph = await appGraph(['User.Read.All']);
    const refused = await graph('/admin/teams/userConfigurations');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({
      code: 'forbidden',
      message:
        'Insufficient permission(s) for the request. API requires any of the following permission(s): TeamsUserConfiguration.Read.All.',
    });
  });

  it('lists Teams user configurations and Direct Routing numbers', async () => {
    const graph = await appGraph(['TeamsUserConfiguration.Read.All', 'TeamsTelephoneNumber.Read.All']);
    const configurations = await graph('/admin/teams/userConfigurations');
    expect(configurations.body.value.length).toBe(15);
    expect(configurations.body.value[0]).toMatchObject({
      isEnterpriseVoiceEnabled: true,
      accountType: 'user',
    });
    const numbers = await graph(
      "/admin/teams/telephoneNumberManagement/numberAssignments?$filter=numberType eq 'directRouting'",
    );
    expect(numbers.body.value).toHaveLength(30);
  });
});
