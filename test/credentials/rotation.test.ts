import { describe, expect, it } from 'vitest';
import type { SimApplication } from '../../sim/directory.js';
import { services } from '../../src/app-services.js';
import { secretName } from '../../src/lib/onboarding/registration-names.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { masterKey } from '../support/connector-fixture.js';
import { eventually, until } from '../support/eventually.js';
import { onboardManually } from '../support/onboard-manually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();
let seed = 1200;

const vault = () => connector.simulator.vaults.get('connector')?.vault;
const current = (tenantId: string, stage = '') =>
  vault()?.secrets.get(`${tenantSecretName(tenantId, 'dr-london')}${stage}`.toLowerCase());

/** A token request as any instance makes one: 200 when Entra takes the secret. */
async function tokenStatus(tenantId: string, clientId: string, secret: string): Promise<number> {
  const answer = await fetch(`${connector.simulator.authorityHost}/${tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      scope: `${connector.simulator.graphEndpoint}/.default`,
    }),
  });
  await answer.body?.cancel();
  return answer.status;
}

const rotationOf = async (tenantId: string) =>
  (await connector.call('GET', `/tenants/${tenantId}`)).body.credentials?.[0]?.rotation as
    | { state: string; failure?: string }
    | undefined;

const eventsOf = (tenantId: string, type: string) =>
  connector.standIn.events.filter((event) => event.type === type && event.data.tenantId === tenantId);

describe('rotating a service’s secret', () => {
  it('replaces it with no failed token request before, during or after, and removes the old one last', async () => {
    const { tenantId, app, clientId, secret: old } = await selfManagedTenant(connector);
    const before = await connector.call('GET', `/tenants/${tenantId}`);
    expect(before.body.credentials).toEqual([
      expect.objectContaining({ serviceId: 'dr-london', renewal: 'connector', daysLeft: 179 }),
    ]);
    const started = await connector.call('POST', `/tenants/${tenantId}/services/dr-london/rotate`);
    expect(started.status).toBe(202);
    expect(started.body.rotation).toMatchObject({ state: 'started', reason: 'requested' });
    expect((await connector.call('POST', `/tenants/${tenantId}/services/dr-london/rotate`)).status).toBe(409);

    // Meanwhile, an instance reading Key Vault, and one still holding the old secret until the switch.
    const failures: string[] = [];
    let state = 'started';
    while (state !== 'done' && state !== 'failed') {
      const value = current(tenantId)?.versions.at(-1)?.value ?? '';
      if ((await tokenStatus(tenantId, clientId, value)) !== 200)
        failures.push(`current secret while ${state}`);
      if (!['switched', 'done'].includes(state) && (await tokenStatus(tenantId, clientId, old)) !== 200)
        failures.push(`old secret while ${state}`);
      state = (await rotationOf(tenantId))?.state ?? 'missing';
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(state).toBe('done');
    expect(failures).toEqual([]);

    const newest = current(tenantId)?.versions.at(-1);
    expect(newest?.value).not.toBe(old);
    expect(app.passwordCredentials.map((password) => password.secretText)).toEqual([newest?.value]);
    expect(app.passwordCredentials[0]?.displayName).toBe(secretName('dr-london'));
    expect(newest?.tags.keyId).toBe(app.passwordCredentials[0]?.keyId);
    expect(current(tenantId, '-next')?.deleted).toBeDefined();
    expect(await tokenStatus(tenantId, clientId, old)).toBe(401);
    await eventually(() => eventsOf(tenantId, 'credentials.rotated').length === 1);
    expect(eventsOf(tenantId, 'credentials.rotated')[0]?.data).toEqual({
      tenantId,
      serviceId: 'dr-london',
      expiresAt: app.passwordCredentials[0]?.endDateTime.toISOString(),
      oldSecretRemoved: true,
    });
    expect((await connector.call('POST', `/tenants/${tenantId}/validate`)).body.report.verdict).toBe('ready');
    const everything = JSON.stringify([
      connector.standIn.events,
      connector.logs,
      await connector.rows('Tenants'),
    ]);
    expect(everything).not.toContain(newest?.value);
    expect(everything).not.toContain(old);
  }, 60_000);

  it('gives up on a secret that never starts to work: removes it, keeps the old one, tells the core once', async () => {
    const { tenantId, app, clientId, secret: old } = await selfManagedTenant(connector);
    connector.simulator.directory.tenant(tenantId).policies.secretPropagationMs = 24 * 3600_000;
    await connector.call('POST', `/tenants/${tenantId}/services/dr-london/rotate`);
    await until(
      () => rotationOf(tenantId),
      (rotation) => rotation?.state === 'staged',
    );
    expect(app.passwordCredentials).toHaveLength(2);
    const later = new Date(Date.now() + 3600_000);
    // An hour on, as this process sees it: it may find the host's worker holding the lease, so until it ran.
    await until(
      () => services().credentialRotation.runner.advance({ tenantId, serviceId: 'dr-london' }, later),
      (step) => step.outcome === 'finished',
    );
    const rotation = await until(
      () => rotationOf(tenantId),
      (value) => value?.state === 'failed',
    );
    expect(rotation?.failure).toBe('the new secret never started to work');
    expect(app.passwordCredentials.map((password) => password.secretText)).toEqual([old]);
    expect(current(tenantId)?.versions.at(-1)?.value).toBe(old);
    expect(await tokenStatus(tenantId, clientId, old)).toBe(200);
    await eventually(() => eventsOf(tenantId, 'credentials.rotation_failed').length === 1);
    expect(eventsOf(tenantId, 'credentials.rotated')).toEqual([]);
  });

  it('keeps a password another service uses too, says so, and removes a service only between rotations', async () => {
    const tenant = connector.simulator.control.generateTenant({
      displayName: 'Shared secret',
      domain: 'shared-secret.example',
      seed: ++seed,
      sizes: { users: 2, groups: 1 },
    });
    const onboarded = await onboardManually(connector, tenant.id, [
      { id: 'dr-london', name: 'London' },
      { id: 'dr-paris', name: 'Paris' },
    ]);
    const app = connector.simulator.directory.applications.get(onboarded.clientId) as SimApplication;
    await connector.call('POST', `/tenants/${tenant.id}/services/dr-london/rotate`);
    const midway = await connector.call('DELETE', `/tenants/${tenant.id}/services/dr-london`, {
      body: { tenantId: tenant.id, serviceId: 'dr-london' },
    });
    expect(midway.status).toBe(409);
    expect(midway.body.type).toContain('rotation_in_progress');
    await until(
      () => rotationOf(tenant.id),
      (rotation) => rotation?.state === 'done',
      40_000,
    );
    expect(app.passwordCredentials.map((password) => password.secretText)).toContain(onboarded.secret);
    expect(app.passwordCredentials).toHaveLength(2);
    expect(await tokenStatus(tenant.id, onboarded.clientId, onboarded.secret)).toBe(200);
    await eventually(() => eventsOf(tenant.id, 'credentials.rotated').length === 1);
    expect(eventsOf(tenant.id, 'credentials.rotated')[0]?.data.oldSecretRemoved).toBe(false);
    const removed = await connector.call('DELETE', `/tenants/${tenant.id}/services/dr-london`, {
      body: { tenantId: tenant.id, serviceId: 'dr-london' },
    });
    expect(removed.body.passwordRemoved).toBe(true);
    expect(app.passwordCredentials.map((password) => password.secretText)).toEqual([onboarded.secret]);
    const rows = await connector.rows('Tenants');
    const rotations = rows.filter(
      (row) => row.partitionKey === tenant.id && String(row.rowKey).startsWith('rotation'),
    );
    expect(rotations).toEqual([]);
  }, 60_000);

  it('refuses what it cannot do: a registration that does not own itself, an unknown service or tenant', async () => {
    const { tenantId, app } = await selfManagedTenant(connector, { owner: false });
    const refused = await connector.call('POST', `/tenants/${tenantId}/services/dr-london/rotate`);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('does not own itself');
    expect(app.passwordCredentials).toHaveLength(1);
    expect((await connector.call('GET', `/tenants/${tenantId}`)).body.credentials[0].renewal).toBe(
      'customer',
    );
    expect((await connector.call('POST', `/tenants/${tenantId}/services/dr-nowhere/rotate`)).status).toBe(
      404,
    );
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await connector.call('POST', `/tenants/${unknown}/services/dr-london/rotate`)).status).toBe(404);
  });

  it('rotates on the daily check a secret with fewer than ROTATE_BEFORE_DAYS left, and only that one', async () => {
    const soon = await selfManagedTenant(connector);
    const later = await selfManagedTenant(connector);
    // Entra's end date is the one that counts (the registration reads itself; Key Vault's copy is corrected).
    (soon.app.passwordCredentials[0] as { endDateTime: Date }).endDateTime = new Date(
      Date.now() + 20 * 86_400_000,
    );
    const fired = await fetch(`${connector.host.url}/admin/functions/credential-check`, {
      method: 'POST',
      headers: { 'x-functions-key': masterKey, 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    expect(fired.status).toBe(202);
    const rotation = await until(
      () => rotationOf(soon.tenantId),
      (value) => value?.state === 'done',
      40_000,
    );
    expect(rotation).toMatchObject({ state: 'done', reason: 'expiring' });
    expect(await rotationOf(later.tenantId)).toBeUndefined();
    const credentials = (await connector.call('GET', `/tenants/${soon.tenantId}`)).body.credentials;
    expect(credentials[0].daysLeft).toBeGreaterThan(170);
    expect(eventsOf(soon.tenantId, 'credentials.expiring')).toEqual([]);
  }, 60_000);
});
