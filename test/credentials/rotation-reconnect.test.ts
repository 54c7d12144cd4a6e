import { describe, expect, it } from 'vitest';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { eventually, until } from '../support/eventually.js';
import { enterSecret, manualReconnectLink } from '../support/reconnect-manually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();

const eventsOf = (tenantId: string, type: string) =>
  connector.standIn.events.filter((event) => event.type === type && event.data.tenantId === tenantId);

const rotationOf = async (tenantId: string) =>
  (await connector.call('GET', `/tenants/${tenantId}`)).body.credentials?.[0]?.rotation as
    | { state: string; failure?: string }
    | undefined;

const vaultValue = (tenantId: string) =>
  connector.simulator.vaults
    .get('connector')
    ?.vault.secrets.get(tenantSecretName(tenantId, 'dr-london').toLowerCase())
    ?.versions.at(-1)?.value;

describe('a reconnect while a rotation runs', () => {
  it('stops the rotation before it switches: the reconnect’s secret stays in use, the rotation’s password goes, no credentials.rotated', async () => {
    const { tenantId, clientId, app } = await selfManagedTenant(connector, { quiet: true });
    // Each new secret takes 3 s to work: the rotation waits 15 s before it tries its own again.
    connector.simulator.directory.tenant(tenantId).policies.secretPropagationMs = 3_000;
    // The admin's new secret, made before the rotation starts, works by the time the admin enters it.
    const fresh = connector.simulator.directory.addPassword(clientId, { lifetimeDays: 120 });
    const madeAt = Date.now();
    expect((await connector.call('POST', `/tenants/${tenantId}/services/dr-london/rotate`)).status).toBe(202);
    await until(
      () => rotationOf(tenantId),
      (rotation) => rotation?.state === 'staged',
    );
    const rotationPassword = app.passwordCredentials.at(-1)?.keyId;
    expect(rotationPassword).not.toBe(fresh.keyId);

    const path = await manualReconnectLink(connector, tenantId);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, madeAt + 3_500 - Date.now())));
    const done = await enterSecret(connector, path, { tenantId, clientId, clientSecret: fresh.secretText });
    expect(done.status).toBe(200);
    expect(vaultValue(tenantId)).toBe(fresh.secretText);

    const rotation = await until(
      () => rotationOf(tenantId),
      (value) => value?.state === 'failed' || value?.state === 'done',
      60_000,
    );
    expect(rotation?.state).toBe('failed');
    expect(rotation?.failure).toContain('reconnected during the rotation');
    expect(vaultValue(tenantId)).toBe(fresh.secretText);
    expect(app.passwordCredentials.map((password) => password.keyId)).not.toContain(rotationPassword);
    await eventually(() => eventsOf(tenantId, 'credentials.rotation_failed').length === 1);
    expect(eventsOf(tenantId, 'credentials.rotated')).toEqual([]);
  }, 90_000);
});
