import { beforeAll, describe, expect, it } from 'vitest';
import { graphAppRoleId } from '../../sim/graph/graph-permissions.js';
import { services } from '../../src/app-services.js';
import { tenantRows } from '../../src/lib/tenants/tenant-partition.js';
import { directoryRoles as r } from '../../src/lib/validation/directory-roles.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { PageSession } from '../support/browserless.js';
import { eventually } from '../support/eventually.js';
import { onboardManually } from '../support/onboard-manually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const base = 'customers.example.net';
const sbc = '203.0.113.10';
const connector = useConnector({ SBC_BASE_DOMAIN: base, SBC_DNS_TARGET: sbc });
const phoneSku = 'e43b5b99-8dfb-405f-9987-dc307f34bcbd';

const allPermissions = [
  ...requiredPermissions.replication,
  ...requiredPermissions.selfRotation,
  ...requiredPermissions.automaticDns,
];

beforeAll(() => {
  connector.simulator.control.setGraphConfig({ teamsProvisioningMs: 2_000 });
});

/**
 * Replication's and rotation's permissions, and reading licences: what a site needs besides the role route
 * (Domain Name Administrator and User Administrator) or the permission route (Domain.ReadWrite.All, User.ReadWrite.All).
 */
const rolesRoutePermissions = [
  ...requiredPermissions.replication,
  ...requiredPermissions.selfRotation,
  'Organization.Read.All',
];

/** A tenant whose app holds what sites need by the role route: both DNS roles. */
async function siteReadyTenant() {
  const tenant = await selfManagedTenant(connector, { permissions: rolesRoutePermissions });
  for (const role of [r.domainNameAdministrator.id, r.userAdministrator.id])
    connector.simulator.control.assignRole(tenant.tenantId, tenant.servicePrincipalId, role);
  return tenant;
}

const eventsOf = (tenantId: string, type?: string) =>
  connector.standIn.events.filter(
    (event) => event.data.tenantId === tenantId && (!type || event.type === type),
  );

const simTenant = (tenantId: string) => connector.simulator.directory.tenant(tenantId);

const roleReport = async (tenantId: string, roleId: string) => {
  const validation = await connector.call('GET', `/tenants/${tenantId}/validation`);
  return validation.body.report.roles.find((role: { id: string }) => role.id === roleId);
};

async function awaitingDns(tenantId: string, siteId: string) {
  await eventually(() => eventsOf(tenantId, 'site.dns_record_required').length > 0, 30_000);
  const site = await connector.call('GET', `/tenants/${tenantId}/sites/${siteId}`);
  expect(site.body.state).toBe('awaiting_dns');
  return site.body;
}

function publish(records: { type: string; name: string; value: string }[]) {
  for (const record of records.filter((candidate) => candidate.type === 'TXT'))
    connector.simulator.control.publishDnsTxt(record.name, record.value);
}

describe('sites with automatic DNS', () => {
  it('takes a site from the request to site.activated: domain, records, verification, activation user, licence', async () => {
    const { tenantId } = await siteReadyTenant();
    const seatsBefore = simTenant(tenantId).subscribedSkus[0]?.consumedUnits ?? 0;
    const started = await connector.call('POST', `/tenants/${tenantId}/sites`, {
      body: { siteId: 'site-1', label: 'Acme1', usageLocation: 'GB' },
    });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      tenantId,
      siteId: 'site-1',
      domain: `acme1.${base}`,
      state: 'requested',
      activationUser: { userPrincipalName: `ump-activation-user@acme1.${base}` },
    });
    const site = await awaitingDns(tenantId, 'site-1');
    const domain = simTenant(tenantId).domains.get(`acme1.${base}`);
    expect(domain?.isVerified).toBe(false);
    const [event] = eventsOf(tenantId, 'site.dns_record_required');
    expect(event?.data).toEqual({
      tenantId,
      siteId: 'site-1',
      domain: `acme1.${base}`,
      records: [
        {
          type: 'TXT',
          name: `acme1.${base}`,
          value: `MS=${domain?.verificationCode}`,
          ttl: 3600,
          purpose: 'verification',
        },
        { type: 'A', name: `acme1.${base}`, value: sbc, ttl: 3600, purpose: 'sbc' },
      ],
    });
    expect(site.dnsRecords).toEqual(event?.data.records);
    expect(await roleReport(tenantId, r.domainNameAdministrator.id)).toMatchObject({
      held: true,
      neededNow: true,
      removableNow: false,
    });

    publish(site.dnsRecords);
    const verified = await connector.call('POST', `/tenants/${tenantId}/sites/site-1/verify`);
    expect(verified.status).toBe(200);
    // Verified at once; the user waits until Entra's replicas know the domain is verified (a few seconds here).
    expect(['verified', 'user_created', 'activating', 'activated']).toContain(verified.body.state);
    expect(domain?.isVerified).toBe(true);

    await eventually(() => eventsOf(tenantId, 'site.activated').length === 1, 40_000);
    const users = [...simTenant(tenantId).users.values()].filter(
      (user) => user.userPrincipalName === `ump-activation-user@acme1.${base}`,
    );
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ usageLocation: 'GB', assignedLicenses: [{ skuId: phoneSku }] });
    expect(simTenant(tenantId).subscribedSkus[0]?.consumedUnits).toBe(seatsBefore + 1);
    const done = await connector.call('GET', `/tenants/${tenantId}/sites/site-1`);
    expect(done.body).toMatchObject({
      state: 'activated',
      activationUser: { id: users[0]?.id, skuId: phoneSku },
    });
    expect(done.body.activatedAt).toBeDefined();
    expect(done.body.nextAttemptAt).toBeUndefined();
    const siteEvents = eventsOf(tenantId).filter((candidate) => candidate.type.startsWith('site.'));
    expect(siteEvents.map((candidate) => candidate.type)).toEqual([
      'site.dns_record_required',
      'site.activated',
    ]);
    await eventually(
      async () => (await roleReport(tenantId, r.domainNameAdministrator.id))?.removableNow === true,
    );
    expect(await roleReport(tenantId, r.userAdministrator.id)).toMatchObject({
      neededNow: false,
      removableNow: true,
    });

    const listed = await connector.call('GET', `/tenants/${tenantId}/sites`);
    expect(listed.body.value.map((entry: { siteId: string }) => entry.siteId)).toEqual(['site-1']);
  });

  it('answers the same request with the site as it is, and refuses the id or the sub-domain with other details', async () => {
    const { tenantId } = await siteReadyTenant();
    const body = { siteId: 'dup', label: 'dupe', usageLocation: 'FR' };
    expect((await connector.call('POST', `/tenants/${tenantId}/sites`, { body })).status).toBe(202);
    const again = await connector.call('POST', `/tenants/${tenantId}/sites`, { body });
    expect(again.status).toBe(200);
    expect(again.body.siteId).toBe('dup');
    const other = await connector.call('POST', `/tenants/${tenantId}/sites`, {
      body: { ...body, usageLocation: 'DE' },
    });
    expect(other.status).toBe(409);
    expect(other.body.type).toMatch(/site_conflict$/);
    const sameDomain = await connector.call('POST', `/tenants/${tenantId}/sites`, {
      body: { ...body, siteId: 'dup-2' },
    });
    expect(sameDomain.status).toBe(409);
    expect(sameDomain.body.detail).toContain('has dupe.customers.example.net already');
    const elsewhere = await siteReadyTenant();
    const taken = await connector.call('POST', `/tenants/${elsewhere.tenantId}/sites`, { body });
    expect(taken.status).toBe(409);
    expect(taken.body.detail).toContain('another tenant');
    expect((await connector.call('GET', `/tenants/${elsewhere.tenantId}/sites`)).body.value).toEqual([]);
  });

  it('refuses a site while the app has neither the DNS roles nor their permissions, with a page for the customer’s admin that checks again', async () => {
    const { tenantId, servicePrincipalId } = await selfManagedTenant(connector, {
      permissions: rolesRoutePermissions,
    });
    const refused = await connector.call('POST', `/tenants/${tenantId}/sites`, {
      body: { siteId: 'site-x', label: 'nodns', usageLocation: 'GB' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      type: expect.stringMatching(/site_roles_missing$/),
      missingRoles: [r.domainNameAdministrator.name, r.userAdministrator.name],
      missingPermissions: ['Domain.ReadWrite.All', 'User.ReadWrite.All'],
    });
    expect((await connector.call('GET', `/tenants/${tenantId}/sites`)).body.value).toEqual([]);
    expect(simTenant(tenantId).domains.has(`nodns.${base}`)).toBe(false);
    expect(refused.body.guidanceUrl.startsWith(connector.publicBaseUrl)).toBe(true);

    const session = new PageSession(connector.publicBaseUrl);
    const page = await session.get(new URL(refused.body.guidanceUrl).pathname);
    expect(page.status).toBe(200);
    expect(page.html).toContain(r.domainNameAdministrator.name);
    expect(page.html).toContain(r.userAdministrator.name);
    expect(page.html).toContain('Check again');

    connector.simulator.control.assignRole(tenantId, servicePrincipalId, r.domainNameAdministrator.id);
    const half = await session.get(new URL(refused.body.guidanceUrl).pathname);
    expect(half.html).not.toContain(`<li>${r.domainNameAdministrator.name}</li>`);
    expect(half.html).toContain(`<li>${r.userAdministrator.name}</li>`);
    connector.simulator.control.assignRole(tenantId, servicePrincipalId, r.userAdministrator.id);
    const ready = await session.get(new URL(refused.body.guidanceUrl).pathname);
    expect(ready.html).toContain('Everything a site needs is in place');
    const unknown = await session.get('/api/role-guidance/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(unknown.status).toBe(404);

    const started = await connector.call('POST', `/tenants/${tenantId}/sites`, {
      body: { siteId: 'site-x', label: 'nodns', usageLocation: 'GB' },
    });
    expect(started.status).toBe(202);
  });

  it('names the permissions a site needs when consent for them is missing', async () => {
    const { tenantId } = await selfManagedTenant(connector);
    const refused = await connector.call('POST', `/tenants/${tenantId}/sites`, {
      body: { siteId: 'site-p', label: 'noperm', usageLocation: 'GB' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.missingPermissions).toEqual(
      expect.arrayContaining(['Domain.ReadWrite.All', 'User.ReadWrite.All', 'Organization.Read.All']),
    );
  });

  it('takes a fresh token once on a 403: the cached one may predate the grant that allows the step', async () => {
    // Permissions alone, no directory role: app-only calls succeed with either.
    const tenant = await selfManagedTenant(connector, { permissions: allPermissions });
    await connector.call('POST', `/tenants/${tenant.tenantId}/sites`, {
      body: { siteId: 'granted', label: 'granted', usageLocation: 'GB' },
    });
    const site = await awaitingDns(tenant.tenantId, 'granted');
    // The customer takes Domain.ReadWrite.All away and gives it back; the connector's cached token is from between.
    const principal = simTenant(tenant.tenantId).servicePrincipals.get(tenant.servicePrincipalId);
    const domainWrite = graphAppRoleId('Domain.ReadWrite.All');
    const kept = principal?.appRoleAssignments ?? [];
    if (principal) principal.appRoleAssignments = kept.filter((grant) => grant.appRoleId !== domainWrite);
    const credential = await services().tenantSecrets.get(tenant.tenantId, 'dr-london');
    await services().tokens.token(credential as never, { fresh: true });
    connector.simulator.control.grantGraphPermissions(tenant.tenantId, tenant.clientId, [
      'Domain.ReadWrite.All',
    ]);
    publish(site.dnsRecords);
    const verified = await connector.call('POST', `/tenants/${tenant.tenantId}/sites/granted/verify`);
    expect(verified.body.state).not.toBe('failed');
    expect(simTenant(tenant.tenantId).domains.get(`granted.${base}`)?.isVerified).toBe(true);
    expect(eventsOf(tenant.tenantId, 'site.failed')).toEqual([]);
  });

  it('keeps a site awaiting DNS while Microsoft does not see the record, with the last attempt and the next', async () => {
    const { tenantId } = await siteReadyTenant();
    await connector.call('POST', `/tenants/${tenantId}/sites`, {
      body: { siteId: 'late', label: 'late', usageLocation: 'GB' },
    });
    await awaitingDns(tenantId, 'late');
    const before = Date.now();
    const tried = await connector.call('POST', `/tenants/${tenantId}/sites/late/verify`);
    expect(tried.status).toBe(200);
    expect(tried.body.state).toBe('awaiting_dns');
    expect(tried.body.lastError).toContain('TXT record was not found');
    expect(Date.parse(tried.body.lastAttemptAt)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(tried.body.nextAttemptAt)).toBeGreaterThan(Date.parse(tried.body.lastAttemptAt));
    expect(simTenant(tenantId).domains.get(`late.${base}`)?.isVerified).toBe(false);
    expect(eventsOf(tenantId, 'site.failed')).toEqual([]);
  });

  it('fails a site whose sub-domain another tenant has verified, once, with the reason', async () => {
    const { tenantId } = await siteReadyTenant();
    const other = connector.simulator.control.generateTenant({
      displayName: 'Other owner',
      domain: `other-owner-${process.pid}.example`,
      seed: 4242,
      sizes: { users: 1, groups: 1 },
    });
    connector.simulator.control.addVerifiedDomain(other.id, `claimed.${base}`);
    await connector.call('POST', `/tenants/${tenantId}/sites`, {
      body: { siteId: 'claimed', label: 'claimed', usageLocation: 'GB' },
    });
    const site = await awaitingDns(tenantId, 'claimed');
    publish(site.dnsRecords);
    const tried = await connector.call('POST', `/tenants/${tenantId}/sites/claimed/verify`);
    expect(tried.body.state).toBe('failed');
    expect(tried.body.failure).toContain('verified in another tenant');
    await eventually(() => eventsOf(tenantId, 'site.failed').length === 1);
    expect(eventsOf(tenantId, 'site.failed')[0]?.data).toMatchObject({
      siteId: 'claimed',
      reason: expect.stringContaining('verified in another tenant'),
    });
    const again = await connector.call('POST', `/tenants/${tenantId}/sites/claimed/verify`);
    expect(again.status).toBe(409);
    expect(again.body.type).toMatch(/site_not_awaiting_dns$/);
  });

  it('fails a site when no licence with Teams Phone has a free seat, naming them, and resumes on the same request', async () => {
    const { tenantId } = await siteReadyTenant();
    const sku = simTenant(tenantId).subscribedSkus[0];
    connector.simulator.control.setSkuSeats(tenantId, phoneSku, { enabled: sku?.consumedUnits ?? 0 });
    const body = { siteId: 'full', label: 'full', usageLocation: 'GB' };
    await connector.call('POST', `/tenants/${tenantId}/sites`, { body });
    publish((await awaitingDns(tenantId, 'full')).dnsRecords);
    await connector.call('POST', `/tenants/${tenantId}/sites/full/verify`);
    await eventually(() => eventsOf(tenantId, 'site.failed').length === 1, 30_000);
    const tried = await connector.call('GET', `/tenants/${tenantId}/sites/full`);
    expect(tried.body.state).toBe('failed');
    expect(tried.body.failure).toContain('No free seat of a licence with Teams Phone: MCOEV has none left');

    connector.simulator.control.setSkuSeats(tenantId, phoneSku, { enabled: (sku?.consumedUnits ?? 0) + 1 });
    const resumed = await connector.call('POST', `/tenants/${tenantId}/sites`, { body });
    expect(resumed.status).toBe(200);
    expect(resumed.body.state).toBe('user_created');
    await eventually(() => eventsOf(tenantId, 'site.activated').length === 1, 40_000);
    const users = [...simTenant(tenantId).users.values()].filter((user) =>
      user.userPrincipalName.endsWith(`@full.${base}`),
    );
    expect(users).toHaveLength(1);
    expect(eventsOf(tenantId, 'site.failed')).toHaveLength(1);
  });

  it('waits out Entra replicating the verified domain and the new user, saying so, and creates the user once', async () => {
    const { tenantId } = await siteReadyTenant();
    await connector.call('POST', `/tenants/${tenantId}/sites`, {
      body: { siteId: 'slow', label: 'slow', usageLocation: 'GB' },
    });
    publish((await awaitingDns(tenantId, 'slow')).dnsRecords);
    connector.simulator.control.setGraphConfig({ directoryReplicationMs: 4_000 });
    try {
      // The domain, the verification and the new user each reach every replica 4 s after they were made.
      const verified = await connector.call('POST', `/tenants/${tenantId}/sites/slow/verify`);
      expect(['awaiting_dns', 'verified']).toContain(verified.body.state);
      expect(verified.body.lastError).toContain('Microsoft is still replicating');
      await eventually(() => eventsOf(tenantId, 'site.activated').length === 1, 60_000);
    } finally {
      connector.simulator.control.setGraphConfig({ directoryReplicationMs: 500 });
    }
    const users = [...simTenant(tenantId).users.values()].filter((user) =>
      user.userPrincipalName.endsWith(`@slow.${base}`),
    );
    expect(users).toHaveLength(1);
    expect(eventsOf(tenantId, 'site.failed')).toEqual([]);
  }, 90_000);

  it('fails a site whose activation user stays unknown past the replication horizon, once', async () => {
    const { tenantId } = await siteReadyTenant();
    await connector.call('POST', `/tenants/${tenantId}/sites`, {
      body: { siteId: 'lost', label: 'lost', usageLocation: 'GB' },
    });
    publish((await awaitingDns(tenantId, 'lost')).dnsRecords);
    await connector.call('POST', `/tenants/${tenantId}/sites/lost/verify`);
    await eventually(
      async () =>
        (await connector.call('GET', `/tenants/${tenantId}/sites/lost`)).body.state === 'activating',
      30_000,
    );
    const user = [...simTenant(tenantId).users.values()].find((candidate) =>
      candidate.userPrincipalName.endsWith(`@lost.${base}`),
    );
    simTenant(tenantId).removeUser(user?.id ?? '', 'deleted');
    // As if it had waited out every replication delay already: the next unknown answer is final.
    const { TableClient } = await import('@azure/data-tables');
    const table = TableClient.fromConnectionString(connector.azurite.connectionString, 'Tenants', {
      allowInsecureConnection: true,
    });
    await table.updateEntity(
      {
        partitionKey: tenantId,
        rowKey: tenantRows.site('lost'),
        attempts: 8,
        nextAttemptAt: new Date().toISOString(),
      },
      'Merge',
    );
    await services().tenantSites.runner.work({ tenantId, siteId: 'lost' });
    await eventually(() => eventsOf(tenantId, 'site.failed').length === 1, 30_000);
    const failed = await connector.call('GET', `/tenants/${tenantId}/sites/lost`);
    expect(failed.body).toMatchObject({ state: 'failed' });
    expect(failed.body.failure).toContain('The activation user is gone from the tenant.');
  }, 90_000);

  it('takes a domain the tenant has already (409), one Microsoft verified before a crash, and a licence in its grace period', async () => {
    const { tenantId } = await siteReadyTenant();
    const domain = `again.${base}`;
    // An earlier attempt added the domain (its answer lost): POST /domains now answers 409.
    connector.simulator.control.setGraphConfig({ directoryReplicationMs: 0 });
    simTenant(tenantId).domains.set(domain, {
      id: domain,
      isVerified: false,
      isDefault: false,
      isInitial: false,
      authenticationType: 'Managed',
      supportedServices: [],
      verificationCode: 'ms12345678',
    });
    const sku = simTenant(tenantId).subscribedSkus.find((candidate) => candidate.skuId === phoneSku);
    if (sku) sku.capabilityStatus = 'Warning';
    try {
      await connector.call('POST', `/tenants/${tenantId}/sites`, {
        body: { siteId: 'again', label: 'again', usageLocation: 'GB' },
      });
      const site = await awaitingDns(tenantId, 'again');
      // Microsoft verified the domain, and the connector crashed before it recorded so: verify answers 400 now.
      const stored = simTenant(tenantId).domains.get(domain);
      if (stored) stored.isVerified = true;
      expect(site.state).toBe('awaiting_dns');
      await connector.call('POST', `/tenants/${tenantId}/sites/again/verify`);
      await eventually(() => eventsOf(tenantId, 'site.activated').length === 1, 40_000);
      expect(eventsOf(tenantId, 'site.failed')).toEqual([]);
      const user = [...simTenant(tenantId).users.values()].find((candidate) =>
        candidate.userPrincipalName.endsWith(`@${domain}`),
      );
      expect(user?.assignedLicenses).toEqual([{ skuId: phoneSku, disabledPlans: [] }]);
    } finally {
      if (sku) sku.capabilityStatus = 'Enabled';
      connector.simulator.control.setGraphConfig({ directoryReplicationMs: 500 });
    }
  }, 60_000);

  it('starts the initial site of an invitation with automatic DNS once the tenant is onboarded', async () => {
    const tenant = connector.simulator.control.generateTenant({
      displayName: 'Initial site',
      domain: `initial-site-${process.pid}.example`,
      seed: 777,
      sizes: { users: 2, groups: 1 },
    });
    await onboardManually(connector, tenant.id, undefined, allPermissions, {
      automaticDns: true,
      site: { siteId: 'hq', label: 'initial', usageLocation: 'US' },
    });
    expect((await connector.call('GET', `/tenants/${tenant.id}`)).body).toMatchObject({
      automaticDns: true,
      dnsWorkPending: true,
    });
    await eventually(() => eventsOf(tenant.id, 'site.dns_record_required').length === 1, 30_000);
    const sites = await connector.call('GET', `/tenants/${tenant.id}/sites`);
    expect(sites.body.value).toMatchObject([
      { siteId: 'hq', domain: `initial.${base}`, state: 'awaiting_dns' },
    ]);
    const noSite = await connector.call('POST', '/invitations', {
      body: {
        customer: { reference: 'C-X', name: 'X' },
        services: [{ id: 'dr-x', name: 'X' }],
        licenceType: 'HostedPro',
        automaticDns: true,
      },
    });
    expect(noSite.status).toBe(400);
    expect(noSite.body.errors).toEqual([expect.objectContaining({ pointer: '/body/site' })]);
  });

  it('refuses bad input with a problem document and writes nothing', async () => {
    const { tenantId } = await siteReadyTenant();
    const post = (body: object) => connector.call('POST', `/tenants/${tenantId}/sites`, { body });
    const cases: [object, number, RegExp][] = [
      [{ siteId: 's1', label: 'two.labels', usageLocation: 'GB' }, 400, /invalid_request$/],
      [{ siteId: 's1', label: '-dash', usageLocation: 'GB' }, 400, /invalid_request$/],
      [{ siteId: 's1', label: '1digit', usageLocation: 'GB' }, 400, /invalid_request$/],
      [{ siteId: 's1', label: 'ok', usageLocation: 'gb' }, 400, /invalid_request$/],
      [{ siteId: 's 1', label: 'ok', usageLocation: 'GB' }, 400, /invalid_request$/],
      [{ siteId: 's1', label: 'ok', usageLocation: 'GB', extra: 1 }, 400, /invalid_request$/],
      [{ siteId: 's1', label: 'a'.repeat(40), usageLocation: 'GB' }, 400, /site_domain_invalid$/],
    ];
    for (const [body, status, type] of cases) {
      const answer = await post(body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.type).toMatch(type);
    }
    expect((await connector.call('GET', `/tenants/${tenantId}/sites`)).body.value).toEqual([]);
    const unknownTenant = '00000000-0000-4000-8000-000000000000';
    expect(
      (
        await connector.call('POST', `/tenants/${unknownTenant}/sites`, {
          body: { siteId: 's1', label: 'ok', usageLocation: 'GB' },
        })
      ).status,
    ).toBe(404);
    expect((await connector.call('GET', `/tenants/${tenantId}/sites/nope`)).status).toBe(404);
    expect((await connector.call('POST', `/tenants/${tenantId}/sites/nope/verify`)).status).toBe(404);
  });
});
