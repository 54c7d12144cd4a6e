import { describe, expect, it } from 'vitest';
import { tenantCertificateName } from '../../src/lib/secrets/tenant-certificates.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { certificateTenant } from '../support/certificate-tenant.js';
import { eventually } from '../support/eventually.js';
import { rotateThroughCrash, rotationSteps } from '../support/rotation-crash.js';
import { crashTestSettings, useConnector } from '../support/use-connector.js';

// Apart from the secrets' file, so the two run side by side.
const connector = useConnector(crashTestSettings, { queueMessageLeaseSeconds: 3 });

describe('rotating a certificate through host crashes (SIGKILL after each storage write of the rotation)', () => {
  for (const step of rotationSteps)
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
      expect(await rotateThroughCrash(connector, tenantId, step, 'kill-after')).toBe('done');
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
