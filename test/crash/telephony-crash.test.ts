import { describe, expect, it } from 'vitest';
import type { TelephonyState } from '../../src/lib/telephony/telephony-request-row.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { eventually, until } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import type { Kill } from '../support/storage-proxy.js';
import { crashTestSettings, useConnector } from '../support/use-connector.js';

const connector = useConnector(crashTestSettings, { queueMessageLeaseSeconds: 3 });
const ofRequest = /telephony(%7C|\|)crash-assign/i;

/** Every state an assignment records, in order: each is one storage write (the last with its event). */
const states: TelephonyState[] = ['queued', 'sending', 'following', 'confirming', 'refreshing', 'succeeded'];
const killPoints = states.flatMap((state) =>
  (['kill-before', 'kill-after'] as Kill[]).map((verdict) => ({ state, verdict })),
);

describe('a number assignment through host crashes (SIGKILL of the host process at each storage write)', () => {
  for (const { state, verdict } of killPoints) {
    it(`ends assigned with one Graph order and one event when killed ${verdict === 'kill-before' ? 'before' : 'after'} it records ${state}`, async () => {
      const tenant = await selfManagedTenant(connector, {
        permissions: [...requiredPermissions.replication, ...requiredPermissions.writeBack],
        quiet: true,
      });
      const { tenantId } = tenant;
      expect(
        (await connector.call('PUT', `/tenants/${tenantId}/write-back`, { body: { enabled: true } })).status,
      ).toBe(200);
      const sim = connector.simulator.directory.tenant(tenantId);
      const userId = [...sim.teamsConfigurations.keys()][0] as string;
      const number = [...sim.numberAssignments.values()].find((candidate) => !candidate.assignmentTargetId)
        ?.telephoneNumber as string;
      const body = { requestId: 'crash-assign', action: 'assign', telephoneNumber: number, userId };
      if (!connector.storageProxy) throw new Error('the crash tests need the host process');

      const killed = connector.storageProxy.killAtState(ofRequest, state, verdict);
      const interrupted = connector
        .call('POST', `/tenants/${tenantId}/number-assignments`, { body })
        .catch(() => ({ status: 0 }));
      await killed;
      await interrupted;
      await connector.restartHost();

      // The core sends the same request again (its answer was lost, or it wants the outcome).
      const again = await connector.call('POST', `/tenants/${tenantId}/number-assignments`, { body });
      expect([200, 202]).toContain(again.status);
      const ended = await until(
        () => connector.call('GET', `/tenants/${tenantId}/telephony-requests/crash-assign`),
        (response) => ['succeeded', 'failed'].includes(response.body.state),
        150_000,
      );
      expect(ended.body).toMatchObject({
        state: 'succeeded',
        outcome: { number: { assignmentTargetId: userId } },
      });
      expect([...sim.numberOrders.values()].filter((order) => order.telephoneNumber === number)).toHaveLength(
        1,
      );
      expect(sim.numberAssignments.get(number)?.assignmentTargetId).toBe(userId);
      const events = () =>
        connector.standIn.events.filter(
          (event) => event.type.startsWith('telephony.') && event.data.tenantId === tenantId,
        );
      // An event whose nudge died with the host is found by the sweep, which runs every minute.
      await eventually(() => events().length > 0, 150_000);
      expect(events().map((event) => event.type)).toEqual(['telephony.request_succeeded']);
    }, 360_000);
  }
});
