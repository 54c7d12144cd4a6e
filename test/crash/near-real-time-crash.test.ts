import { describe, expect, it } from 'vitest';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { until } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import type { Kill, WriteSeen } from '../support/storage-proxy.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector({ NEAR_REAL_TIME_QUIET_SECONDS: '1' }, { queueMessageLeaseSeconds: 3 });
const withGroups = [
  ...requiredPermissions.replication,
  ...requiredPermissions.selfRotation,
  'Group.Read.All',
];

/** The storage writes of turning near-real-time on, in order: each subscription's index record, then the row. */
const killPoints: { name: string; write: (seen: () => number) => (write: WriteSeen) => boolean }[] = [
  {
    name: "the users subscription's record",
    write: (seen) => (write) => write.table === 'GraphSubscriptions' && seen() === 1,
  },
  {
    name: "the groups subscription's record",
    write: (seen) => (write) => write.table === 'GraphSubscriptions' && seen() === 2,
  },
  {
    name: "the tenant's row",
    write: () => (write) => write.table === 'Tenants' && write.body.includes('"subscriptions"'),
  },
];

const subscriptionsOf = (tenantId: string) =>
  [...connector.simulator.graph.subscriptions.byId.values()].filter(
    (subscription) => subscription.tenantId === tenantId,
  );

describe('turning near-real-time on through host crashes (SIGKILL of the host process at each storage write)', () => {
  for (const point of killPoints)
    for (const verdict of ['kill-before', 'kill-after'] as Kill[]) {
      it(`ends with exactly two subscriptions, each acted on, when killed ${verdict === 'kill-before' ? 'before' : 'after'} ${point.name}`, async () => {
        const { tenantId } = await selfManagedTenant(connector, { permissions: withGroups, quiet: true });
        if (!connector.storageProxy) throw new Error('the crash tests need the host process');
        let indexWrites = 0;
        const matches = point.write(() => indexWrites);
        const killed = connector.storageProxy.killAtFirst(
          {
            write: (write) => {
              if (write.table === 'GraphSubscriptions') indexWrites += 1;
              return write.path.includes(tenantId) || write.body.includes(tenantId) ? matches(write) : false;
            },
          },
          verdict,
        );
        const first = connector
          .call('PUT', `/tenants/${tenantId}/near-real-time`, { body: { enabled: true } })
          .catch(() => ({ status: 0 }));
        await killed;
        expect((await first).status).toBe(0);
        await connector.restartHost();

        // The core asks again until it is done (the dead request's lease ends within its term).
        const answer = await until(
          () => connector.call('PUT', `/tenants/${tenantId}/near-real-time`, { body: { enabled: true } }),
          (response) => response.status !== 409,
          60_000,
        );
        expect(answer.status).toBe(200);
        const listed = (answer.body.subscriptions as { id: string }[])
          .map((subscription) => subscription.id)
          .sort();
        expect(
          subscriptionsOf(tenantId)
            .map((subscription) => subscription.id)
            .sort(),
        ).toEqual(listed);
        expect(listed).toHaveLength(2);

        const [someone] = connector.simulator.directory.tenant(tenantId).users.keys();
        connector.simulator.control.updateUser(tenantId, someone as string, {
          displayName: 'After The Crash',
        });
        const runs = await until(
          async () => (await connector.call('GET', `/tenants/${tenantId}/replication-runs`)).body.value,
          (value: { trigger: string; status: string }[]) =>
            value.some((run) => run.trigger === 'change_notification' && run.status === 'completed'),
          30_000,
        );
        expect(runs.filter((run: { trigger: string }) => run.trigger === 'change_notification')).toHaveLength(
          1,
        );
      }, 180_000);
    }
});
