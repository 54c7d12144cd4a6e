import { describe, expect, it } from 'vitest';
import type { SimApplication } from '../../sim/directory.js';
import { secretName } from '../../src/lib/onboarding/registration-names.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { eventually } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();

const paris = { id: 'dr-paris', name: 'Direct Routing Paris', licenceType: 'HostedPro' };

const vaultSecret = (name: string) =>
  connector.simulator.vaults.get('connector')?.vault.secrets.get(name.toLowerCase())?.versions.at(-1);

const servicePasswords = (app: SimApplication, serviceId: string) =>
  app.passwordCredentials.filter((credential) => credential.displayName === secretName(serviceId));

const eventsOf = (tenantId: string, type: string) =>
  connector.standIn.events.filter((event) => event.type === type && event.data.tenantId === tenantId);

describe('POST /api/tenants/{tenantId}/services', () => {
  it('gives a new service a password of its own on the app, its secret in Key Vault, proven, and tells the core', async () => {
    const { tenantId, app } = await selfManagedTenant(connector);
    const added = await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      tenantId,
      status: 'active',
      service: { id: 'dr-paris', licenceType: 'HostedPro' },
    });
    expect(added.body.secretLink).toBeUndefined();
    expect(app.passwordCredentials).toHaveLength(2);
    const [password] = servicePasswords(app, 'dr-paris');
    const stored = vaultSecret(tenantSecretName(tenantId, 'dr-paris'));
    expect(stored?.value).toBe(password?.secretText);
    expect(stored?.tags).toMatchObject({ tenant: tenantId, service: 'dr-paris', client: app.appId });
    expect(added.body.service.secretExpiresAt).toBe(password?.endDateTime.toISOString());
    const token = await fetch(`${connector.simulator.authorityHost}/${tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: app.appId,
        client_secret: stored?.value ?? '',
        scope: `${connector.simulator.graphEndpoint}/.default`,
      }),
    });
    expect(token.status).toBe(200);
    const view = await connector.call('GET', `/tenants/${tenantId}`);
    // Where Key Vault holds each service's own secret, never its value.
    const parisCredential = view.body.credentials.find(
      (credential: { serviceId: string }) => credential.serviceId === 'dr-paris',
    );
    expect(parisCredential.vault).toEqual({
      secretName: tenantSecretName(tenantId, 'dr-paris'),
      version: expect.stringMatching(/^[0-9a-f]{32}$/),
      keyId: password?.keyId,
    });
    expect(JSON.stringify(view.body)).not.toContain(stored?.value);
    expect(view.body.services).toEqual([
      { id: 'dr-london', name: 'Direct Routing London' },
      { id: 'dr-paris', name: 'Direct Routing Paris', licenceType: 'HostedPro' },
    ]);
    await eventually(() => eventsOf(tenantId, 'tenant.service_added').length === 1);
    expect(eventsOf(tenantId, 'tenant.service_added')[0]?.data).toEqual({
      tenantId,
      serviceId: 'dr-paris',
      name: 'Direct Routing Paris',
      licenceType: 'HostedPro',
      secretExpiresAt: added.body.service.secretExpiresAt,
    });
    const everything = JSON.stringify([
      connector.standIn.events,
      connector.logs,
      await connector.rows('Tenants'),
    ]);
    expect(everything).not.toContain(stored?.value);
  });

  it('answers a repeated request with the same result, and refuses the same id with other details', async () => {
    const { tenantId, app } = await selfManagedTenant(connector);
    const first = await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
    const again = await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(app.passwordCredentials).toHaveLength(2);
    const other = await connector.call('POST', `/tenants/${tenantId}/services`, {
      body: { ...paris, name: 'Paris Two' },
    });
    expect(other.status).toBe(409);
    expect(other.body.type).toContain('service_conflict');
    const initial = await connector.call('POST', `/tenants/${tenantId}/services`, {
      body: { id: 'DR-LONDON', name: 'Direct Routing London', licenceType: 'HostedPro' },
    });
    expect(initial.status).toBe(409);
    expect(app.passwordCredentials).toHaveLength(2);
    await eventually(() => eventsOf(tenantId, 'tenant.service_added').length === 1);
  });

  it('refuses bad input with a problem naming each field, and changes nothing', async () => {
    const { tenantId, app } = await selfManagedTenant(connector);
    const refused = await connector.call('POST', `/tenants/${tenantId}/services`, {
      body: { id: 'dr.p', name: '', licenceType: 'Basic', extra: 1 },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors.map((error: { pointer: string }) => error.pointer).sort()).toEqual([
      '/body/extra',
      '/body/id',
      '/body/licenceType',
      '/body/name',
    ]);
    for (const id of ['ab', 'a-very-long-service-id', 'dr paris', 'dr/paris', '---']) {
      const bad = await connector.call('POST', `/tenants/${tenantId}/services`, { body: { ...paris, id } });
      expect(bad.status, id).toBe(400);
    }
    const unknown = await connector.call('POST', '/tenants/00000000-0000-4000-8000-000000000000/services', {
      body: paris,
    });
    expect(unknown.status).toBe(404);
    expect(app.passwordCredentials).toHaveLength(1);
    expect(
      (await connector.rows('Tenants')).filter((row) => String(row.rowKey).startsWith('service|')),
    ).toEqual(expect.not.arrayContaining([expect.objectContaining({ partitionKey: tenantId })]));
  });

  it('takes the longest lifetime the tenant’s policy allows, a certificate when it refuses every secret, and adds nothing when it refuses that too', async () => {
    const { tenantId, app } = await selfManagedTenant(connector);
    connector.simulator.directory.tenant(tenantId).policies.maxSecretLifetimeDays = 40;
    const added = await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
    expect(added.status).toBe(201);
    const days = (Date.parse(added.body.service.secretExpiresAt) - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(30);
    connector.simulator.directory.tenant(tenantId).policies.maxSecretLifetimeDays = 1;
    const certified = await connector.call('POST', `/tenants/${tenantId}/services`, {
      body: { ...paris, id: 'dr-rome', name: 'Rome' },
    });
    expect(certified.status).toBe(201);
    expect(app.passwordCredentials).toHaveLength(2);
    expect(app.keyCredentials.map((key) => key.displayName)).toEqual([secretName('dr-rome')]);
    const view = await connector.call('GET', `/tenants/${tenantId}`);
    expect(view.body.credentials).toEqual(
      expect.arrayContaining([expect.objectContaining({ serviceId: 'dr-rome', kind: 'certificate' })]),
    );
    connector.simulator.directory.tenant(tenantId).policies.maxCertificateLifetimeDays = 30;
    const refused = await connector.call('POST', `/tenants/${tenantId}/services`, {
      body: { ...paris, id: 'dr-oslo', name: 'Oslo' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toContain('service_secret_refused');
    expect(app.keyCredentials).toHaveLength(1);
    expect(
      connector.simulator.vaults.get('connector')?.vault.certificates.get(`tenantcert-${tenantId}-dr-oslo`)
        ?.deleted,
    ).toBeDefined();

    const removed = await connector.call('DELETE', `/tenants/${tenantId}/services/dr-rome`, {
      body: { tenantId, serviceId: 'dr-rome' },
    });
    expect(removed.status).toBe(200);
    expect(app.keyCredentials).toEqual([]);
  });

  it('waits while a new secret propagates', async () => {
    const { tenantId } = await selfManagedTenant(connector);
    connector.simulator.directory.tenant(tenantId).policies.secretPropagationMs = 2500;
    const added = await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
    expect(added.status).toBe(201);
  }, 20_000);

  it('leaves one password per service when an answer is lost or Key Vault fails, and finishes on the same request', async () => {
    const { tenantId, app } = await selfManagedTenant(connector);
    connector.simulator.faults.add({
      path: '/addPassword$',
      method: 'POST',
      afterWrite: true,
      reset: true,
      count: 1,
    });
    const lost = await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
    // A lost answer is a fault that passes: the connector carries on by itself, and says so.
    expect(lost.status).toBe(503);
    expect(lost.body.detail).toContain('carries on by itself');
    expect(servicePasswords(app, 'dr-paris')).toHaveLength(1);
    const vaultDown = connector.simulator.faults.add({
      path: '/secrets/tenant-',
      method: 'PUT',
      status: 503,
    });
    const failed = await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
    expect(failed.status).toBe(503);
    expect(servicePasswords(app, 'dr-paris')).toHaveLength(0);
    connector.simulator.faults.remove(vaultDown);
    const done = await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
    expect(done.status).toBe(201);
    expect(servicePasswords(app, 'dr-paris')).toHaveLength(1);
    expect(vaultSecret(tenantSecretName(tenantId, 'dr-paris'))?.value).toBe(
      servicePasswords(app, 'dr-paris')[0]?.secretText,
    );
  });
});

describe('DELETE /api/tenants/{tenantId}/services/{serviceId}', () => {
  it('removes the service’s own password and its secret, keeps the others working, and tells the core', async () => {
    const { tenantId, app, secret } = await selfManagedTenant(connector);
    await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
    const removed = await connector.call('DELETE', `/tenants/${tenantId}/services/dr-paris`, {
      body: { tenantId, serviceId: 'dr-paris' },
    });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ tenantId, serviceId: 'dr-paris', passwordRemoved: true });
    expect(servicePasswords(app, 'dr-paris')).toHaveLength(0);
    expect(app.passwordCredentials.map((credential) => credential.secretText)).toEqual([secret]);
    expect(
      connector.simulator.vaults
        .get('connector')
        ?.vault.secrets.get(tenantSecretName(tenantId, 'dr-paris').toLowerCase())?.deleted,
    ).toBeDefined();
    const view = await connector.call('GET', `/tenants/${tenantId}`);
    expect(view.body.services.map((service: { id: string }) => service.id)).toEqual(['dr-london']);
    expect((await connector.call('POST', `/tenants/${tenantId}/validate`)).body.report).toBeDefined();
    await eventually(() => eventsOf(tenantId, 'tenant.service_removed').length === 1);
    expect(
      (
        await connector.call('DELETE', `/tenants/${tenantId}/services/dr-paris`, {
          body: { tenantId, serviceId: 'dr-paris' },
        })
      ).status,
    ).toBe(404);
    const again = await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
    expect(again.status).toBe(201);
  });

  it('leaves a manual secret it cannot tell apart to the customer, and never removes the last service', async () => {
    const { tenantId, app } = await selfManagedTenant(connector);
    await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
    const removed = await connector.call('DELETE', `/tenants/${tenantId}/services/dr-london`, {
      body: { tenantId, serviceId: 'dr-london' },
    });
    expect(removed.body.passwordRemoved).toBe(false);
    expect(removed.body.leftToCustomer).toContain('dr-london');
    expect(app.passwordCredentials).toHaveLength(2);
    const last = await connector.call('DELETE', `/tenants/${tenantId}/services/dr-paris`, {
      body: { tenantId, serviceId: 'dr-paris' },
    });
    expect(last.status).toBe(409);
    expect(last.body.detail).toContain('offboard');
  });
});
