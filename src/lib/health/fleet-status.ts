import { z } from 'zod';
import type { DeliverySwitch } from '../events/delivery-state.js';
import type { OutboxRow } from '../events/outbox.js';
import type { ReplicationRunRecord } from '../replication/replication-run.js';
import { throttledReason } from '../replication/replication-slice.js';
import { tableFilter } from '../storage/table-filters.js';
import { type TenantTable, tenantRowPrefixes, tenantRows } from '../tenants/tenant-partition.js';
import type { TenantRecord } from '../tenants/tenant-record.js';

const counts = z.record(z.string(), z.number().int());

export const fleetStatusSchema = z.object({
  generatedAt: z.iso.datetime(),
  tenants: z.object({ total: z.number().int(), byStatus: counts }),
  runsToday: z.object({
    since: z.iso.datetime(),
    byStatus: counts.describe(
      'Runs queued since midnight UTC by status; `waiting` (a part of queued and running) waits for Microsoft or Key Vault',
    ),
    throttled: z
      .number()
      .int()
      .describe('Runs waiting now because Microsoft Graph throttled the tenant (429)'),
  }),
  slowestToday: z
    .array(z.object({ tenantId: z.string(), runId: z.string(), status: z.string(), seconds: z.number() }))
    .describe("Today's longest runs (ended, or under way for so long)"),
  workflows: z.record(z.string(), counts).describe('Workflows under way, by kind and state'),
  delivery: z.object({
    enabled: z.boolean(),
    pending: z.number().int().describe('Events waiting to reach the core'),
    oldestPendingSeconds: z
      .number()
      .optional()
      .describe('How long the oldest of them has waited: the delivery lag now'),
  }),
});
export type FleetStatusView = z.infer<typeof fleetStatusSchema>;

export interface FleetStatusDeps {
  tenants: TenantTable;
  delivery: DeliverySwitch;
  workflows: readonly { name: string; underWay(): Promise<Record<string, number>> }[];
}

const increment = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

/**
 * The fleet at a glance, from the connector's own tables (what the workbook shows from the metrics): tenants by
 * status, today's runs, the slowest, workflows under way and event delivery. Reads every tenant's rows of those
 * kinds once; no tenant, Key Vault or Microsoft call.
 */
export async function fleetStatus(deps: FleetStatusDeps, now = new Date()): Promise<FleetStatusView> {
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const byStatus: Record<string, number> = {};
  let total = 0;
  for await (const { entity } of deps.tenants.query<TenantRecord>(tableFilter.rowKey(tenantRows.tenant))) {
    total += 1;
    increment(byStatus, entity.status);
  }
  const runs: Record<string, number> = {};
  let throttled = 0;
  const durations: FleetStatusView['slowestToday'] = [];
  for await (const { entity } of deps.tenants.query<ReplicationRunRecord & { partitionKey: string }>(
    tableFilter.and(
      tableFilter.rowKeysStartingWith(tenantRowPrefixes.runs),
      tableFilter.property('queuedAt', 'ge', since.toISOString()),
    ),
  )) {
    increment(runs, entity.status);
    const underWay = entity.status === 'queued' || entity.status === 'running';
    if (underWay && entity.waitingFor) {
      increment(runs, 'waiting');
      if (entity.waitingFor === throttledReason) throttled += 1;
    }
    const end = entity.finishedAt ? Date.parse(entity.finishedAt) : now.getTime();
    if (entity.status !== 'skipped')
      durations.push({
        tenantId: entity.partitionKey,
        runId: entity.runId,
        status: entity.status,
        seconds: Math.round((end - Date.parse(entity.queuedAt)) / 1000),
      });
  }
  let pending = 0;
  let oldest: number | undefined;
  for await (const { entity } of deps.tenants.query<OutboxRow>(
    tableFilter.and(
      tableFilter.rowKeysStartingWith(tenantRowPrefixes.events),
      tableFilter.property('status', 'eq', 'pending'),
    ),
  )) {
    pending += 1;
    const created = Date.parse(entity.createdAt);
    oldest = oldest === undefined ? created : Math.min(oldest, created);
  }
  const workflows: Record<string, Record<string, number>> = {};
  for (const runner of deps.workflows) workflows[runner.name] = await runner.underWay();
  return {
    generatedAt: now.toISOString(),
    tenants: { total, byStatus },
    runsToday: { since: since.toISOString(), byStatus: runs, throttled },
    slowestToday: durations.sort((a, b) => b.seconds - a.seconds).slice(0, 5),
    workflows,
    delivery: {
      enabled: (await deps.delivery.read()).enabled,
      pending,
      ...(oldest !== undefined ? { oldestPendingSeconds: Math.round((now.getTime() - oldest) / 1000) } : {}),
    },
  };
}
