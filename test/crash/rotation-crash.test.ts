import { describe, expect, it } from 'vitest';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { eventually } from '../support/eventually.js';
import { rotateThroughCrash, rotationSteps } from '../support/rotation-crash.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { crashTestSettings, useConnector } from '../support/use-connector.js';

const connector = useConnector(crashTestSettings, { queueMessageLeaseSeconds: 3 });

describe('rotating a secret through host crashes (SIGKILL of the host process at each storage write)', () => {
  for (const step of rotationSteps)
    for (const verdict of ['kill-before', 'kill-after'] as const) {
      it(`finishes with one new password and one event when killed ${verdict === 'kill-before' ? 'before' : 'after'} it records ${step}`, async () => {
        const { tenantId, app, clientId, secret: old } = await selfManagedTenant(connector, { quiet: true });
        expect(await rotateThroughCrash(connector, tenantId, step, verdict)).toBe('done');
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
