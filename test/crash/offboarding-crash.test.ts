import { describe, expect, it } from 'vitest';
import { offboardingSteps } from '../../src/lib/offboarding/offboarding-progress.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { eventually, until } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import type { Kill } from '../support/storage-proxy.js';
import { crashTestSettings, useConnector } from '../support/use-connector.js';

const connector = useConnector(crashTestSettings, { queueMessageLeaseSeconds: 3 });
type Step = (typeof offboardingSteps)[number];

/** Kills the host as it first writes the offboarding's `step` (before or after storage took it). */
function killAt(tenantId: string, step: Step, verdict: Kill): Promise<void> {
  if (!connector.storageProxy) throw new Error('the crash tests need the host process');
  return connector.storageProxy.killAtState(/offboarding/, step, verdict, (text) => text.includes(tenantId));
}

const cases: [Step, Kill][] = [
  ['started', 'kill-before'],
  ...offboardingSteps.map((step): [Step, 'kill-after'] => [step, 'kill-after']),
  ['done', 'kill-before'],
];

describe('offboarding through host crashes (SIGKILL of the host process at its storage writes)', () => {
  for (const [step, verdict] of cases)
    it(`ends offboarded with one event and nothing left when killed ${verdict === 'kill-before' ? 'before' : 'after'} it records ${step}`, async () => {
      const { tenantId, app } = await selfManagedTenant(connector, { quiet: true });
      const run = await connector.call('POST', `/tenants/${tenantId}/replicate`);
      await until(
        async () =>
          (await connector.call('GET', `/tenants/${tenantId}/replication-runs`)).body.value.find(
            (candidate: { runId: string }) => candidate.runId === run.body.runId,
          )?.status,
        (status) => status === 'completed',
        30_000,
      );
      const killed = killAt(tenantId, step, verdict);
      const asked = connector
        .call('DELETE', `/tenants/${tenantId}`, { body: { tenantId } })
        .catch(() => ({ status: 0 }));
      await killed;
      await asked;
      await connector.restartHost();
      if (step === 'started' && verdict === 'kill-after')
        // Recorded, but its work was never queued: the tenant waits as `offboarding` until asked again (or until
        // the 15-minute sweep finds it overdue).
        expect((await connector.call('GET', `/tenants/${tenantId}`)).body).toMatchObject({
          status: 'offboarding',
          offboarding: { state: 'started' },
        });
      // The core asks again whatever it heard: it reports the state and nudges the work.
      expect([200, 202]).toContain(
        (await connector.call('DELETE', `/tenants/${tenantId}`, { body: { tenantId } })).status,
      );
      const view = await until(
        async () => (await connector.call('GET', `/tenants/${tenantId}`)).body,
        (body) => body.offboarding?.state === 'done',
        120_000,
      );
      expect(view.status).toBe('offboarded');
      expect(app.passwordCredentials).toEqual([]);
      expect(
        (await connector.rows(tableNames.replica)).filter((row) =>
          String(row.partitionKey).startsWith(`${tenantId}|`),
        ),
      ).toEqual([]);
      expect(
        (await connector.rows(tableNames.replicaChanges)).filter((row) => row.partitionKey === tenantId),
      ).toEqual([]);
      const offboarded = () =>
        connector.standIn.events.filter(
          (event) => event.type === 'tenant.offboarded' && event.data.tenantId === tenantId,
        );
      await eventually(() => offboarded().length > 0, 150_000);
      expect(offboarded()).toHaveLength(1);
      expect(offboarded()[0]?.data.removed).toEqual(['the password of service dr-london']);
    }, 300_000);
});
