import type { Simulator } from '../sim/server.js';
import type { TenantState } from '../sim/tenant/tenant-state.js';
import { Outbox } from '../src/lib/events/outbox.js';
import { ReplicationScheduler } from '../src/lib/replication/replication-scheduler.js';
import type { ReplicationJob } from '../src/lib/replication/replication-worker.js';
import type { Storage } from '../src/lib/storage/storage-clients.js';
import { queueNames, tableNames } from '../src/lib/storage/storage-names.js';
import type { TenantPartitionRow } from '../src/lib/tenants/tenant-partition.js';
import type { TenantRecord } from '../src/lib/tenants/tenant-record.js';
import { TenantRegistry } from '../src/lib/tenants/tenant-registry.js';

/**
 * A benchmark's next day: 1 % of each tenant's users renamed (at least one), and the fan-out that queues the day's
 * runs as tomorrow's timer would (its run ids are tomorrow's `cycle-` date).
 */
export function nextDay(
  simulator: Simulator,
  storage: Storage,
  tenants: readonly TenantState[],
): { tomorrow: Date; fanOut: () => Promise<unknown> } {
  for (const tenant of tenants)
    for (const id of tenant.userOrder.slice(0, Math.max(1, Math.round(tenant.userOrder.length / 100))))
      simulator.control.updateUser(tenant.id, id, { displayName: `Renamed ${id.slice(0, 8)}` });
  const tomorrow = new Date(Date.now() + 86_400_000);
  const outbox = new Outbox(storage.table(tableNames.tenants), storage.queue(queueNames.coreEvents));
  const scheduler = new ReplicationScheduler(
    storage.table<TenantPartitionRow>(tableNames.tenants),
    new TenantRegistry(storage.table<TenantRecord>(tableNames.tenants), outbox),
    storage.queue<ReplicationJob>(queueNames.replicationJobs),
    outbox,
    1,
  );
  return { tomorrow, fanOut: () => scheduler.fanOut(tomorrow) };
}
