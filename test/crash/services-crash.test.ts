import { describe, expect, it } from 'vitest';
import { secretName } from '../../src/lib/onboarding/registration-names.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { eventually } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import type { Kill } from '../support/storage-proxy.js';
import { crashTestSettings, useConnector } from '../support/use-connector.js';

const connector = useConnector(crashTestSettings, { queueMessageLeaseSeconds: 3 });
const paris = { id: 'dr-paris', name: 'Direct Routing Paris', licenceType: 'HostedPro' };
const ofService = /service(%7C|\|)dr-paris/i;

/** The states adding a service records, in order: accepted, its secret stored, then recorded on the tenant. */
type Step = 'adding' | 'stored' | 'active';

interface KillPoint {
  name: string;
  step: Step;
  verdict: Kill;
}

const killPoints: KillPoint[] = [
  { name: 'before the request is first recorded', step: 'adding', verdict: 'kill-before' },
  { name: 'once it is recorded, before the password is added', step: 'adding', verdict: 'kill-after' },
  {
    name: 'after the password and its secret, before that is recorded',
    step: 'stored',
    verdict: 'kill-before',
  },
  { name: 'once that is recorded, before the secret is proven', step: 'stored', verdict: 'kill-after' },
  {
    name: 'as the service and its event are recorded on the tenant',
    step: 'active',
    verdict: 'kill-before',
  },
  { name: 'once they are recorded, before the answer', step: 'active', verdict: 'kill-after' },
];

/** Kills the host at `point` while it adds the service; resolves once the host is dead. */
function killAt(point: KillPoint): Promise<void> {
  if (!connector.storageProxy) throw new Error('the crash tests need the host process');
  return connector.storageProxy.killAtState(ofService, point.step, point.verdict);
}

const addParis = (tenantId: string) =>
  connector.call('POST', `/tenants/${tenantId}/services`, { body: paris }).catch((error: Error) => ({
    status: 0,
    body: { lost: error.message },
  }));

describe('adding a service through host crashes (SIGKILL of the host process at each storage write)', () => {
  for (const point of killPoints) {
    it(`resumes without a second password or event when killed ${point.name}`, async () => {
      const { tenantId, app } = await selfManagedTenant(connector, { quiet: true });
      const killed = killAt(point);
      const interrupted = addParis(tenantId);
      await killed;
      expect((await interrupted).status).toBe(0);
      await connector.restartHost();

      const resumed = await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris });
      expect([200, 201]).toContain(resumed.status);
      const passwords = app.passwordCredentials.filter(
        (credential) => credential.displayName === secretName('dr-paris'),
      );
      expect(passwords).toHaveLength(1);
      const vault = connector.simulator.vaults.get('connector')?.vault;
      const stored = vault?.secrets
        .get(tenantSecretName(tenantId, 'dr-paris').toLowerCase())
        ?.versions.at(-1);
      expect(stored?.value).toBe(passwords[0]?.secretText);
      const view = await connector.call('GET', `/tenants/${tenantId}`);
      expect(view.body.services.map((service: { id: string }) => service.id)).toEqual([
        'dr-london',
        'dr-paris',
      ]);
      const added = () =>
        connector.standIn.events.filter(
          (event) => event.type === 'tenant.service_added' && event.data.tenantId === tenantId,
        );
      // An event whose nudge died with the host is found by the sweep, which runs every minute.
      await eventually(() => added().length > 0, 150_000);
      expect(added()).toHaveLength(1);
      expect((await connector.call('POST', `/tenants/${tenantId}/services`, { body: paris })).status).toBe(
        200,
      );
    }, 180_000);
  }
});
