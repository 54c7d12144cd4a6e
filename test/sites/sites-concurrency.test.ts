import { describe, expect, it } from 'vitest';
import { directoryRoles as r } from '../../src/lib/validation/directory-roles.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { eventually } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const base = 'parallel.example.net';
const connector = useConnector({ SBC_BASE_DOMAIN: base, SBC_DNS_TARGET: '203.0.113.10' });

async function siteReadyTenant() {
  const tenant = await selfManagedTenant(connector, {
    permissions: [
      ...requiredPermissions.replication,
      ...requiredPermissions.selfRotation,
      'Organization.Read.All',
    ],
  });
  for (const role of [r.domainNameAdministrator.id, r.userAdministrator.id])
    connector.simulator.control.assignRole(tenant.tenantId, tenant.servicePrincipalId, role);
  return tenant.tenantId;
}

const eventsOf = (tenantId: string, type: string) =>
  connector.standIn.events.filter((event) => event.data.tenantId === tenantId && event.type === type);

const addSite = (tenantId: string, siteId: string, label: string) =>
  connector.call('POST', `/tenants/${tenantId}/sites`, { body: { siteId, label, usageLocation: 'GB' } });

describe('sites asked for at the same time', () => {
  it('the same site twice at once (a retry racing the original): one 202, one 200, one domain, one event', async () => {
    const tenantId = await siteReadyTenant();
    const answers = await Promise.all([
      addSite(tenantId, 'twice', 'twice'),
      addSite(tenantId, 'twice', 'twice'),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 202]);
    await eventually(() => eventsOf(tenantId, 'site.dns_record_required').length > 0, 30_000);
    const domains = [...connector.simulator.directory.tenant(tenantId).domains.keys()];
    expect(domains.filter((domain) => domain === `twice.${base}`)).toHaveLength(1);
    expect(eventsOf(tenantId, 'site.dns_record_required')).toHaveLength(1);
  }, 60_000);

  it('two different sites at once: both started and both listed; the same label under two ids: one 202, one 409', async () => {
    const tenantId = await siteReadyTenant();
    const two = await Promise.all([addSite(tenantId, 'one', 'one'), addSite(tenantId, 'two', 'two')]);
    expect(two.map((answer) => answer.status)).toEqual([202, 202]);
    const clash = await Promise.all([addSite(tenantId, 'three', 'same'), addSite(tenantId, 'four', 'same')]);
    expect(clash.map((answer) => answer.status).sort()).toEqual([202, 409]);
    expect(clash.find((answer) => answer.status === 409)?.body.type).toMatch(/site_conflict$/);
    const listed = await connector.call('GET', `/tenants/${tenantId}/sites`);
    expect(listed.body.value.map((site: { siteId: string }) => site.siteId).sort()).toEqual(
      expect.arrayContaining(['one', 'two']),
    );
    expect(listed.body.value).toHaveLength(3);
  }, 60_000);

  it('five verify calls at once: no 500, the domain verified once, the site goes on to activation', async () => {
    const tenantId = await siteReadyTenant();
    await addSite(tenantId, 'verify', 'verify');
    await eventually(() => eventsOf(tenantId, 'site.dns_record_required').length > 0, 30_000);
    const site = await connector.call('GET', `/tenants/${tenantId}/sites/verify`);
    for (const record of site.body.dnsRecords.filter((record: { type: string }) => record.type === 'TXT'))
      connector.simulator.control.publishDnsTxt(record.name, record.value);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => connector.call('POST', `/tenants/${tenantId}/sites/verify/verify`)),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(connector.simulator.directory.tenant(tenantId).domains.get(`verify.${base}`)?.isVerified).toBe(
      true,
    );
    await eventually(() => eventsOf(tenantId, 'site.activated').length === 1, 40_000);
    const users = [...connector.simulator.directory.tenant(tenantId).users.values()].filter((user) =>
      user.userPrincipalName.endsWith(`@verify.${base}`),
    );
    expect(users).toHaveLength(1);
  }, 90_000);

  it('the same label in two tenants at once: one 202, one 409 at the request (a sub-domain is one tenant’s)', async () => {
    const [first, second] = await Promise.all([siteReadyTenant(), siteReadyTenant()]);
    const answers = await Promise.all([addSite(first, 'mine', 'shared'), addSite(second, 'yours', 'shared')]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
    const refused = answers.find((answer) => answer.status === 409);
    expect(refused?.body.type).toMatch(/site_conflict$/);
    expect(refused?.body.detail).toContain(`shared.${base}`);
    const lists = await Promise.all(
      [first, second].map(
        async (tenantId) => (await connector.call('GET', `/tenants/${tenantId}/sites`)).body.value,
      ),
    );
    expect(lists.flat()).toHaveLength(1);
  }, 60_000);
});
