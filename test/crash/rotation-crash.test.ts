import { describe, expect, it } from 'vitest';
import { tenantCertificateName } from '../../src/lib/secrets/tenant-certificates.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { certificateTenant } from '../support/certificate-tenant.js';
import { eventually, until } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import type { Kill } from '../support/storage-proxy.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector({}, { queueMessageLeaseSeconds: 3 });
const ofRotation = /rotation(%7C|\|)dr-london/i;

/** The storage writes of a rotation, in order: started, staged, proven, switched, then done with its event. */
type Step = 'started' | 'staged' | 'proven' | 'switched' | 'done';
const steps: Step[] = ['started', 'staged', 'proven', 'switched', 'done'];

/** Kills the host as it writes the rotation's `step` (before or after storage took it); resolves once dead. */
function killAt(step: Step, verdict: Kill): Promise<void> {
  if (!connector.storageProxy) throw new Error('the crash tests need the host process');
  return connector.storageProxy.killAtState(ofRotation, step, verdict);
}

const rotationState = async (tenantId: string) =>
  (await connector.call('GET', `/tenants/${tenantId}`)).body.credentials?.[0]?.rotation?.state as
    | string
    | undefined;

/** Asks for dr-london's rotation, kills the host at `step`, restarts it, and follows the rotation to its end. */
async function rotateThroughCrash(tenantId: string, step: Step, verdict: Kill): Promise<string | undefined> {
  const killed = killAt(step, verdict);
  const started = connector
    .call('POST', `/tenants/${tenantId}/services/dr-london/rotate`)
    .catch(() => ({ status: 0 }));
  await killed;
  const answer = await started;
  await connector.restartHost();
  if (answer.status === 0) {
    // The request itself died: the core sends it again (a rotation that did start is nudged, 409).
    const again = await connector.call('POST', `/tenants/${tenantId}/services/dr-london/rotate`);
    expect([202, 409]).toContain(again.status);
  }
  return until(
    () => rotationState(tenantId),
    (value) => value === 'done',
    90_000,
  );
}

describe('rotating a secret through host crashes (SIGKILL of the host process at each storage write)', () => {
  for (const step of steps)
    for (const verdict of ['kill-before', 'kill-after'] as const) {
      it(`finishes with one new password and one event when killed ${verdict === 'kill-before' ? 'before' : 'after'} it records ${step}`, async () => {
        const { tenantId, app, clientId, secret: old } = await selfManagedTenant(connector, { quiet: true });
        expect(await rotateThroughCrash(tenantId, step, verdict)).toBe('done');
        expect(app.passwordCredentials).toHaveLength(1);
        const vault = connector.simulator.vaults.get('connector')?.vault;
        const current = vault?.secrets
          .get(tenantSecretName(tenantId, 'dr-london').toLowerCase())
          ?.versions.at(-1);
        expect(current?.value).toBe(app.passwordCredentials[0]?.secretText);
        expect(current?.value).not.toBe(old);
        const rotated = () =>
          connector.standIn.events.filter(
            (event) => event.type === 'credentials.rotated' && event.data.tenantId === tenantId,
          );
        await eventually(() => rotated().length > 0, 150_000);
        expect(rotated()).toHaveLength(1);
        expect(clientId).toBe(app.appId);
      }, 300_000);
    }
});

describe('rotating a certificate through host crashes (SIGKILL after each storage write of the rotation)', () => {
  for (const step of steps)
    it(`finishes with one new certificate on the app, the current Key Vault version, and one event when killed after it records ${step}`, async () => {
      const { tenantId, app } = await certificateTenant(connector);
      await eventually(
        () =>
          connector.standIn.events.some(
            (event) => event.type === 'tenant.validation_changed' && event.data.tenantId === tenantId,
          ),
        30_000,
      );
      const oldKey = app.keyCredentials[0]?.keyId;
      expect(await rotateThroughCrash(tenantId, step, 'kill-after')).toBe('done');
      const certificate = connector.simulator.vaults
        .get('connector')
        ?.vault.certificates.get(tenantCertificateName(tenantId, 'dr-london'));
      const inUse = connector.simulator.vaults
        .get('connector')
        ?.vault.secrets.get(tenantSecretName(tenantId, 'dr-london').toLowerCase())
        ?.versions.at(-1);
      const { keyUrl } = JSON.parse(inUse?.value ?? '{}') as { keyUrl?: string };
      const version = certificate?.versions.find((candidate) => keyUrl?.endsWith(`/${candidate.version}`));
      expect(app.keyCredentials).toHaveLength(1);
      expect(app.keyCredentials[0]?.keyId).not.toBe(oldKey);
      expect(version && app.keyCredentials[0]?.der.equals(version.der)).toBe(true);
      expect(app.passwordCredentials).toEqual([]);
      const rotated = () =>
        connector.standIn.events.filter(
          (event) => event.type === 'credentials.rotated' && event.data.tenantId === tenantId,
        );
      await eventually(() => rotated().length > 0, 150_000);
      expect(rotated()).toHaveLength(1);
    }, 300_000);
});
