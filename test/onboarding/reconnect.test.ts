import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SimApplication } from '../../sim/directory.js';
import { services } from '../../src/app-services.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { signIn } from '../sim/sim-fixture.js';
import { PageSession } from '../support/browserless.js';
import { eventually } from '../support/eventually.js';
import { replicationRun } from '../support/replication-run.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { tenantWithAdmin } from '../support/tenant-with-admin.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();
let seed = 3100;

const vaultSecret = (tenantId: string, serviceId: string) =>
  connector.simulator.vaults
    .get('connector')
    ?.vault.secrets.get(tenantSecretName(tenantId, serviceId).toLowerCase())
    ?.versions.at(-1);

const eventsOf = (tenantId: string, type: string) =>
  connector.standIn.events.filter((event) => event.type === type && event.data.tenantId === tenantId);

const tenantView = async (tenantId: string) => (await connector.call('GET', `/tenants/${tenantId}`)).body;

/** The credentials stop working: Entra ends the app's secrets, and the connector has found out. */
async function revoke(tenantId: string, clientId: string): Promise<void> {
  connector.simulator.control.expireSecret(clientId);
  await services().registry.markCredentialsInvalid(tenantId, 'secret_expired');
  expect((await tenantView(tenantId)).status).toBe('credentials_invalid');
}

async function reconnectLink(tenantId: string, method: string) {
  const created = await connector.call('POST', `/tenants/${tenantId}/reconnect`, { body: { method } });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ purpose: 'reconnect', expectedTenant: tenantId, status: 'pending' });
  return { id: created.body.id as string, path: new URL(created.body.url).pathname };
}

const replicates = (tenantId: string) => replicationRun(connector, tenantId);

/** The admin's round trip; `authority` replaces the tenant the sign-in link names (an admin who goes elsewhere). */
async function signInAs(session: PageSession, path: string, upn: string, authority?: string) {
  const start = await session.get(`${path}/sign-in`);
  expect(start.status).toBe(302);
  const location = new URL(start.headers.get('location') as string);
  if (authority) location.pathname = location.pathname.replace(/^\/[^/]+\//, `/${authority}/`);
  const back = await signIn(location.toString(), upn, 'accept');
  return session.get(back.toString());
}

describe('reconnecting a tenant whose credentials stopped working', () => {
  it('by signing in again: keeps the app, gives each service a new secret, removes the old ones, and replication resumes', async () => {
    const { id: tenantId, admin } = tenantWithAdmin(connector, {
      name: 'Reconnect Co',
      alias: 'rea',
      seed: ++seed,
    });
    const other = tenantWithAdmin(connector, { name: 'Elsewhere Co', alias: 'els', seed: ++seed });
    const invitation = await connector.call('POST', '/invitations', {
      body: {
        customer: { reference: 'C-RE', name: 'Reconnect Customer' },
        services: [
          { id: 'dr-london', name: 'Direct Routing London' },
          { id: 'dr-paris', name: 'Direct Routing Paris' },
        ],
        licenceType: 'HostedPro',
        method: 'automatic',
      },
    });
    const first = await signInAs(
      new PageSession(connector.publicBaseUrl),
      new URL(invitation.body.url).pathname,
      admin,
    );
    expect(first.status).toBe(200);
    const { clientId } = await tenantView(tenantId);
    const app = connector.simulator.directory.applications.get(clientId) as SimApplication;
    const oldSecrets = app.passwordCredentials.map((password) => password.secretText);
    // An app made before the consent redirect moved to its own route keeps its other redirect URIs.
    const before = `${connector.publicBaseUrl}/api/onboarding/consent-callback`;
    app.redirectUris = [before];
    await revoke(tenantId, clientId);

    const link = await reconnectLink(tenantId, 'automatic');
    const session = new PageSession(connector.publicBaseUrl);
    const landing = await session.get(link.path);
    expect(landing.html).toContain('Reconnect Reconnect Customer to the Live Platform');
    expect(landing.html).toContain(clientId);

    // An admin of another tenant is refused before anything changes.
    const wrong = await signInAs(session, link.path, other.admin, 'organizations');
    expect(wrong.status).toBe(403);
    expect(wrong.html).toContain(`This invitation is for the tenant ${tenantId}`);
    expect(app.passwordCredentials.map((password) => password.secretText)).toEqual(oldSecrets);
    expect((await tenantView(tenantId)).status).toBe('credentials_invalid');
    expect(eventsOf(tenantId, 'tenant.reconnected')).toEqual([]);

    const page = await signInAs(session, link.path, admin);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Ready: the connection works and holds what it needs.');
    const registrations = [...connector.simulator.directory.applications.values()].filter(
      (candidate) =>
        candidate.homeTenantId === tenantId && candidate.displayName === 'Live Platform Connector',
    );
    expect(registrations.map((candidate) => candidate.appId)).toEqual([clientId]);
    expect(app.redirectUris).toEqual([before, `${connector.publicBaseUrl}/api/callback/consent`]);
    expect(app.passwordCredentials).toHaveLength(2);
    for (const serviceId of ['dr-london', 'dr-paris']) {
      const stored = vaultSecret(tenantId, serviceId);
      expect(oldSecrets).not.toContain(stored?.value);
      expect(app.passwordCredentials.map((password) => password.keyId)).toContain(stored?.tags.keyId);
    }
    const view = await tenantView(tenantId);
    expect(view).toMatchObject({ status: 'active', clientId, reconnectedAt: expect.any(String) });
    await eventually(() => eventsOf(tenantId, 'tenant.reconnected').length === 1);
    expect(eventsOf(tenantId, 'tenant.reconnected')[0]?.data).toEqual({
      tenantId,
      invitationId: link.id,
      method: 'automatic',
      clientId,
      previousStatus: 'credentials_invalid',
    });
    expect(await replicates(tenantId)).toBe('completed');

    // The link is used up: signing in through it again changes nothing.
    const again = await session.get(`${link.path}/sign-in`);
    expect(again.status).not.toBe(302);
    expect(app.passwordCredentials).toHaveLength(2);
    const everything = JSON.stringify([
      await connector.rows(tableNames.tenants),
      connector.standIn.events,
      connector.logs,
      page.html,
    ]);
    for (const password of app.passwordCredentials) expect(everything).not.toContain(password.secretText);
  }, 90_000);

  it('by entering a new secret: proven before it replaces the stored one; the wrong tenant is refused first', async () => {
    const { tenantId, clientId, app } = await selfManagedTenant(connector, { owner: false, quiet: true });
    await revoke(tenantId, clientId);
    // The refusal names the fix: a reconnect link, not "validate it once fixed".
    const notReady = await connector.call('POST', `/tenants/${tenantId}/replicate`);
    expect(notReady.status).toBe(409);
    expect(notReady.body.detail).toContain('Reconnect it: POST /tenants/{tenantId}/reconnect');
    expect(notReady.body.detail).not.toContain('Validate it once fixed');
    const before = vaultSecret(tenantId, 'dr-london')?.value;
    const link = await reconnectLink(tenantId, 'manual');
    const fresh = connector.simulator.directory.addPassword(clientId, { lifetimeDays: 120 });
    const session = new PageSession(connector.publicBaseUrl);

    const post = async (fields: Record<string, string>) => {
      const landing = await session.get(link.path);
      return session.post(`${link.path}/manual`, {
        form: PageSession.formToken(landing.html),
        tenantId,
        clientId,
        clientSecret: fresh.secretText,
        ...fields,
      });
    };
    const otherTenant = randomUUID();
    const refused = await post({ tenantId: otherTenant });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain(`This invitation is for the tenant ${tenantId}`);
    const wrongSecret = await post({ clientSecret: 'not-the-secret-at-all' });
    expect(wrongSecret.status).toBeGreaterThanOrEqual(400);
    expect(vaultSecret(tenantId, 'dr-london')?.value).toBe(before);
    expect((await tenantView(tenantId)).status).toBe('credentials_invalid');

    const done = await post({});
    expect(done.status).toBe(200);
    expect(vaultSecret(tenantId, 'dr-london')?.value).toBe(fresh.secretText);
    // Working again; action required only because its app is not its own owner (the customer renews its secrets).
    expect((await tenantView(tenantId)).status).toBe('action_required');
    await eventually(() => eventsOf(tenantId, 'tenant.reconnected').length === 1);
    expect(eventsOf(tenantId, 'tenant.reconnected')[0]?.data).toMatchObject({ method: 'manual', clientId });
    expect(await replicates(tenantId)).toBe('completed');
    expect(app.passwordCredentials.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify([await connector.rows(tableNames.tenants), connector.logs])).not.toContain(
      fresh.secretText,
    );
  }, 60_000);

  it('refuses, creating no invitation, a reconnect for an unknown tenant or with a method it does not know', async () => {
    const reconnects = async () =>
      (await connector.call('GET', '/invitations?top=200')).body.value.filter(
        (invitation: { purpose: string }) => invitation.purpose === 'reconnect',
      ).length;
    const before = await reconnects();
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await connector.call('POST', `/tenants/${unknown}/reconnect`, { body: {} })).status).toBe(404);
    const { tenantId } = await selfManagedTenant(connector, { quiet: true });
    const bad = await connector.call('POST', `/tenants/${tenantId}/reconnect`, { body: { method: 'fax' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0]?.pointer ?? JSON.stringify(bad.body)).toContain('method');
    expect(await reconnects()).toBe(before);
  });
});
