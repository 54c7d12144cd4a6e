import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dependencies } from '../../src/lib/dependencies.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { type TenantPartitionRow, tenantRows } from '../../src/lib/tenants/tenant-partition.js';
import { PageSession } from '../support/browserless.js';
import { eventually, until } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();

const eventsOf = (tenantId: string, type: string) =>
  connector.standIn.events.filter((event) => event.type === type && event.data.tenantId === tenantId);

const offboarded = (tenantId: string) =>
  until(
    async () => (await connector.call('GET', `/tenants/${tenantId}`)).body,
    (view) => view.offboarding?.state === 'done',
    90_000,
  );

describe('offboarding racing the tenant’s other work', () => {
  it('waits for the rotations under way, so no connector password stays on the app', async () => {
    const { tenantId, app } = await selfManagedTenant(connector, { quiet: true });
    const added = await connector.call('POST', `/tenants/${tenantId}/services`, {
      body: { id: 'dr-paris', name: 'Direct Routing Paris', licenceType: 'HostedPro' },
    });
    expect(added.status).toBe(201);
    // Entra takes a while to accept each new secret, so both rotations are under way when the DELETE comes.
    connector.simulator.directory.tenant(tenantId).policies.secretPropagationMs = 1_500;
    for (const serviceId of ['dr-london', 'dr-paris'])
      expect((await connector.call('POST', `/tenants/${tenantId}/services/${serviceId}/rotate`)).status).toBe(
        202,
      );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await connector.call('DELETE', `/tenants/${tenantId}`, { body: { tenantId } })).status).toBe(202);
    const view = await offboarded(tenantId);
    expect(view.status).toBe('offboarded');
    expect(app.passwordCredentials).toEqual([]);
    await eventually(() => eventsOf(tenantId, 'tenant.offboarded').length === 1);
    expect(eventsOf(tenantId, 'tenant.offboarded')[0]?.data.removed).toEqual([
      'the password of service dr-london',
      'the password of service dr-paris',
    ]);
  }, 120_000);

  it('answers 409 to a DELETE while the tenant is being onboarded again after an earlier offboarding', async () => {
    const { tenantId } = await selfManagedTenant(connector, { quiet: true });
    expect((await connector.call('DELETE', `/tenants/${tenantId}`, { body: { tenantId } })).status).toBe(202);
    await offboarded(tenantId);
    await eventually(() => eventsOf(tenantId, 'tenant.offboarded').length === 1);
    expect((await connector.call('DELETE', `/tenants/${tenantId}`, { body: { tenantId } })).status).toBe(200);
    // An admin signed in with a new invitation and the registration is being made: not yet recorded.
    await dependencies()
      .storage.table<TenantPartitionRow>(tableNames.tenants)
      .insert({
        partitionKey: tenantId,
        rowKey: tenantRows.provisioning('invitation-2'),
        invitationId: 'invitation-2',
        appObjectId: randomUUID(),
        appId: randomUUID(),
        servicesDone: '[]',
      });
    const during = await connector.call('DELETE', `/tenants/${tenantId}`, { body: { tenantId } });
    expect(during.status).toBe(409);
    expect(during.body.type).toMatch(/tenant_still_onboarding$/);
    expect(eventsOf(tenantId, 'tenant.offboarded')).toHaveLength(1);
  }, 90_000);

  it('revokes the tenant’s open reconnect link: its page no longer offers to reconnect a tenant that left', async () => {
    const { tenantId } = await selfManagedTenant(connector, { quiet: true });
    const link = await connector.call('POST', `/tenants/${tenantId}/reconnect`, {
      body: { method: 'manual' },
    });
    expect(link.status).toBe(201);
    expect((await connector.call('DELETE', `/tenants/${tenantId}`, { body: { tenantId } })).status).toBe(202);
    await offboarded(tenantId);
    const invitation = await connector.call('GET', `/invitations/${link.body.id}`);
    expect(invitation.body.status).toBe('revoked');
    const page = await new PageSession(connector.publicBaseUrl).get(new URL(link.body.url).pathname);
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(page.html).not.toContain('Check and connect');
  }, 90_000);
});
