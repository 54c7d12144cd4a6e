import { describe, expect, it } from 'vitest';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { until } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import type { Kill, WriteSeen } from '../support/storage-proxy.js';
import { crashTestSettings, useConnector } from '../support/use-connector.js';

const connector = useConnector(
  { ...crashTestSettings, NEAR_REAL_TIME_QUIET_SECONDS: '1' },
  { queueMessageLeaseSeconds: 3 },
);
const withGroups = [
  ...requiredPermissions.replication,
  ...requiredPermissions.selfRotation,
  'Group.Read.All',
];

/**
 * The storage writes of turning near-real-time on, in order: the workflow's row (subscribing), the users
 * subscription's index record, the row listing it, the groups one's record, the row listing both, the row on.
 */
const rowWrite = (n: number) => (seen: Seen) => (write: WriteSeen) =>
  write.table === 'Tenants' && write.body.includes('"subscriptions"') && seen.rows === n;
const indexWrite = (n: number) => (seen: Seen) => (write: WriteSeen) =>
  write.table === 'GraphSubscriptions' && seen.index === n;
const killPoints: { name: string; verdict: Kill; write: (seen: Seen) => (write: WriteSeen) => boolean }[] = [
  { name: "before the workflow's row is written", verdict: 'kill-before', write: rowWrite(1) },
  { name: "after the workflow's row is written", verdict: 'kill-after', write: rowWrite(1) },
  { name: "after the users subscription's record", verdict: 'kill-after', write: indexWrite(1) },
  { name: 'after the row lists the users subscription', verdict: 'kill-after', write: rowWrite(2) },
  { name: "after the groups subscription's record", verdict: 'kill-after', write: indexWrite(2) },
  { name: 'after the row lists both', verdict: 'kill-after', write: rowWrite(3) },
  { name: 'after the row says on', verdict: 'kill-after', write: rowWrite(4) },
];

interface Seen {
  rows: number;
  index: number;
}

const subscriptionsOf = (tenantId: string) =>
  [...connector.simulator.graph.subscriptions.byId.values()].filter(
    (subscription) => subscription.tenantId === tenantId,
  );

describe('turning near-real-time on through host crashes (SIGKILL of the host process at each storage write)', () => {
  for (const point of killPoints)
    it(`ends with exactly two subscriptions, each acted on, when killed ${point.name}`, async () => {
      const { tenantId } = await selfManagedTenant(connector, { permissions: withGroups, quiet: true });
      if (!connector.storageProxy) throw new Error('the crash tests need the host process');
      const seen: Seen = { rows: 0, index: 0 };
      const matches = point.write(seen);
      const killed = connector.storageProxy.killAtFirst(
        {
          write: (write) => {
            if (!(write.path.includes(tenantId) || write.body.includes(tenantId))) return false;
            if (write.table === 'GraphSubscriptions') seen.index += 1;
            if (write.table === 'Tenants' && write.body.includes('"subscriptions"')) seen.rows += 1;
            return matches(write);
          },
        },
        point.verdict,
      );
      const first = connector
        .call('PUT', `/tenants/${tenantId}/near-real-time`, { body: { enabled: true } })
        .catch(() => ({ status: 0 }));
      await killed;
      expect((await first).status).toBe(0);
      await connector.restartHost();

      // The core asks again: the request waits for the dead request's lease to end, then takes over.
      const answer = await connector.call('PUT', `/tenants/${tenantId}/near-real-time`, {
        body: { enabled: true },
      });
      expect(answer.status).toBe(200);
      expect(answer.body.state).toBe('on');
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
});
