import { describe, expect, it } from 'vitest';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { PageSession } from '../support/browserless.js';
import { eventually } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();
const paris = { id: 'dr-paris', name: 'Direct Routing Paris', licenceType: 'HostedEssentialsPlus' };

/** A manually onboarded tenant whose app does not own itself: the connector cannot add secrets to it. */
const customerManagedTenant = (permissions?: readonly string[]) =>
  selfManagedTenant(connector, { owner: false, ...(permissions ? { permissions } : {}) });

const vaultValue = (tenantId: string, serviceId: string) =>
  connector.simulator.vaults
    .get('connector')
    ?.vault.secrets.get(tenantSecretName(tenantId, serviceId).toLowerCase())
    ?.versions.at(-1)?.value;

async function requestLink(tenantId: string) {
  const answer = await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
  expect(answer.status).toBe(202);
  return answer.body as { status: string; secretLink: { url: string; expiresAt: string } };
}

describe('a new service whose secret only the customer’s admin can give', () => {
  it('answers 202 with a link; the page asks only for the secret, proves it, stores it and activates the service', async () => {
    const { tenantId, app, clientId } = await customerManagedTenant();
    const pending = await requestLink(tenantId);
    expect(pending.status).toBe('awaiting_customer');
    expect(pending.secretLink.url).toMatch(
      new RegExp(`^${connector.publicBaseUrl}/api/service-secrets/[A-Za-z0-9_-]{43}$`),
    );
    expect(app.passwordCredentials).toHaveLength(1);
    const listed = await connector.call('GET', `/tenants/${tenantId}`);
    expect(listed.body.services.map((service: { id: string }) => service.id)).toEqual(['dr-london']);

    const path = new URL(pending.secretLink.url).pathname;
    const session = new PageSession(connector.publicBaseUrl);
    const form = await session.get(path);
    expect(form.status).toBe(200);
    expect(form.html).toContain('Direct Routing Paris');
    expect(form.html).toContain(clientId);
    expect(form.html).not.toContain('name="tenantId"');

    const wrong = await session.post(path, {
      form: PageSession.formToken(form.html),
      clientSecret: 'not-the-secret',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain('role="alert"');
    expect(wrong.html).not.toContain('not-the-secret');
    expect(vaultValue(tenantId, 'dr-paris')).toBeUndefined();

    const made = connector.simulator.directory.addPassword(app.appId, {
      displayName: 'Paris',
      lifetimeDays: 90,
    });
    const done = await session.post(path, {
      form: PageSession.formToken(wrong.html),
      clientSecret: made.secretText,
    });
    expect(done.status).toBe(200);
    expect(done.html).toContain('The service is connected');
    expect(done.html).not.toContain(made.secretText);
    expect(vaultValue(tenantId, 'dr-paris')).toBe(made.secretText);
    const view = await connector.call('GET', `/tenants/${tenantId}`);
    expect(view.body.services.map((service: { id: string }) => service.id)).toEqual([
      'dr-london',
      'dr-paris',
    ]);
    await eventually(() =>
      connector.standIn.events.some(
        (event) => event.type === 'tenant.service_added' && event.data.tenantId === tenantId,
      ),
    );
    const again = await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('active');
    const reopened = await session.get(path);
    expect(reopened.html).toContain('was given already');
    const everything = JSON.stringify([
      connector.standIn.events,
      connector.logs,
      await connector.rows('Tenants'),
    ]);
    expect(everything).not.toContain(made.secretText);
  });

  it('gives a new link on a repeated request while the first still works, and refuses a form not sent from the page', async () => {
    const { tenantId, app } = await customerManagedTenant(requiredPermissions.replication);
    const first = await requestLink(tenantId);
    const second = await requestLink(tenantId);
    expect(second.secretLink.url).not.toBe(first.secretLink.url);
    expect(second.secretLink.expiresAt).toBe(first.secretLink.expiresAt);
    const session = new PageSession(connector.publicBaseUrl);
    expect((await session.get(new URL(first.secretLink.url).pathname)).status).toBe(200);
    const made = connector.simulator.directory.addPassword(app.appId, { lifetimeDays: 30 });
    const forged = await new PageSession(connector.publicBaseUrl).post(
      new URL(second.secretLink.url).pathname,
      {
        form: 'forged',
        clientSecret: made.secretText,
      },
    );
    expect(forged.status).toBe(400);
    expect(forged.html).toContain('not sent from the service page');
    expect(vaultValue(tenantId, 'dr-paris')).toBeUndefined();
  });

  it('says when a link is unknown or expired', async () => {
    const session = new PageSession(connector.publicBaseUrl);
    expect((await session.get(`/api/service-secrets/${'x'.repeat(43)}`)).status).toBe(404);
    const { tenantId } = await customerManagedTenant();
    const pending = await requestLink(tenantId);
    const rows = await connector.rows('Tenants');
    const progress = rows.find(
      (row) => row.partitionKey === tenantId && String(row.rowKey).startsWith('service'),
    );
    expect(progress?.state).toBe('awaiting_customer');
    const { TableClient } = await import('@azure/data-tables');
    const table = TableClient.fromConnectionString(connector.azurite.connectionString, 'Tenants', {
      allowInsecureConnection: true,
    });
    await table.updateEntity(
      {
        partitionKey: tenantId,
        rowKey: String(progress?.rowKey),
        linkExpiresAt: new Date(Date.now() - 1000).toISOString(),
      },
      'Merge',
    );
    const expired = await session.get(new URL(pending.secretLink.url).pathname);
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('has expired');
    const renewed = await requestLink(tenantId);
    expect(Date.parse(renewed.secretLink.expiresAt)).toBeGreaterThan(Date.now());
    expect((await session.get(new URL(renewed.secretLink.url).pathname)).status).toBe(200);
  });

  it('withdraws a service still waiting for the secret: its links stop working, and a new request of the same id gets links of its own', async () => {
    const { tenantId } = await customerManagedTenant();
    const pending = await requestLink(tenantId);
    const withdrawn = await connector.call('DELETE', `/tenants/${tenantId}/services/dr-paris`, {
      body: { tenantId, serviceId: 'dr-paris' },
    });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toEqual({
      tenantId,
      serviceId: 'dr-paris',
      passwordRemoved: false,
      withdrawn: true,
    });
    const session = new PageSession(connector.publicBaseUrl);
    const oldPath = new URL(pending.secretLink.url).pathname;
    expect((await session.get(oldPath)).status).toBe(404);
    const again = await requestLink(tenantId);
    expect((await session.get(oldPath)).status).toBe(404);
    expect((await session.get(new URL(again.secretLink.url).pathname)).status).toBe(200);
    const gone = await connector.call('DELETE', `/tenants/${tenantId}/services/dr-nowhere`, {
      body: { tenantId, serviceId: 'dr-nowhere' },
    });
    expect(gone.status).toBe(404);
  });
});
