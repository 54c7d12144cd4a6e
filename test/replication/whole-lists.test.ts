import { describe, expect, it } from 'vitest';
import type { TenantState } from '../../sim/tenant/tenant-state.js';
import { services } from '../../src/app-services.js';
import { dependencies } from '../../src/lib/dependencies.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { type TenantPartitionRow, tenantRows } from '../../src/lib/tenants/tenant-partition.js';
import { checkFeedsAfterEach } from '../support/feed-invariant.js';
import { onboardManually } from '../support/onboard-manually.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();
checkFeedsAfterEach(connector);

async function generate(seed: number, numbers: number, voiceUsers = 3): Promise<TenantState> {
  const summary = connector.simulator.control.generateTenant({
    displayName: `Numbers ${seed}`,
    domain: `numbers${seed}.onmicrosoft.com`,
    seed,
    sizes: {
      users: voiceUsers + 3,
      groups: 1,
      membershipsPerUser: 1,
      voiceUsers,
      directRoutingNumbers: Math.max(numbers, voiceUsers),
      phoneSystemLicences: voiceUsers,
    },
  });
  await onboardManually(connector, summary.id);
  return connector.simulator.directory.tenant(summary.id);
}

async function replicate(tenantId: string) {
  const app = services();
  const run = await app.replicationScheduler.createRun(tenantId, 'on_demand');
  expect(await app.replicationWorker.process({ tenantId, runId: run.runId })).toBe('completed');
  const stored = await dependencies()
    .storage.table<TenantPartitionRow>(tableNames.tenants)
    .get(tenantId, tenantRows.run(run.runId));
  return { ...stored?.entity, counts: JSON.parse(String(stored?.entity.counts)) as Record<string, number> };
}

const storedNumbers = async (tenantId: string) =>
  (await connector.rows(tableNames.replica))
    .filter((row) => String(row.partitionKey).startsWith(`${tenantId}|`))
    .filter((row) => String(row.rowKey).startsWith('number|'))
    .map((row) => String(row.rowKey).slice('number|'.length))
    .sort();

describe('whole lists, paged as Microsoft documents them', () => {
  it('reads Direct Routing numbers by $top and $skip: 2,500 numbers, all kept, and no writes when nothing changed', async () => {
    const tenant = await generate(71, 2500);
    const first = await replicate(tenant.id);
    expect(first.counts).toMatchObject({ numbersUpserted: 2500, numbersDeleted: 0 });
    expect(await storedNumbers(tenant.id)).toEqual([...tenant.numberAssignments.keys()].sort());
    const second = await replicate(tenant.id);
    expect(second.counts).toMatchObject({ numbersUpserted: 0, numbersDeleted: 0, transactions: 0 });
    // 1 users delta, 1 groups delta, 1 Teams page, and numbers in pages of 1,000, 1,000 and 500.
    expect(second.requests).toBe(1 + 1 + 1 + 3);
    expect(await storedNumbers(tenant.id)).toHaveLength(2500);
  });

  it('reads a page of exactly $top numbers on, to the short page that ends the list', async () => {
    const tenant = await generate(72, 1000);
    const first = await replicate(tenant.id);
    expect(first.counts).toMatchObject({ numbersUpserted: 1000, numbersDeleted: 0 });
    expect(first.requests).toBe(1 + 1 + 1 + 2);
  });

  it('follows a next link if the numbers list sends one', async () => {
    connector.simulator.control.setGraphConfig({ numberAssignmentsNextLink: true });
    try {
      const tenant = await generate(73, 1500);
      const first = await replicate(tenant.id);
      expect(first.counts).toMatchObject({ numbersUpserted: 1500, numbersDeleted: 0 });
      expect(await storedNumbers(tenant.id)).toEqual([...tenant.numberAssignments.keys()].sort());
    } finally {
      connector.simulator.control.setGraphConfig({ numberAssignmentsNextLink: false });
    }
  });
});

describe('a whole list that may have been cut short', () => {
  it('removes nothing after a Teams configurations list that ended on a full page without a next link', async () => {
    const tenant = await generate(74, 10, 150);
    const first = await replicate(tenant.id);
    expect(first.counts.voiceUpdated).toBe(tenant.teamsConfigurations.size);
    connector.simulator.control.setGraphConfig({ teamsConfigurationsNextLink: false });
    try {
      const second = await replicate(tenant.id);
      expect(second.counts.voiceRemoved).toBe(0);
      expect(JSON.parse(String(second.notes))).toEqual([
        'voice: the list ended on a full page without a next link, so nothing it did not show was removed',
      ]);
    } finally {
      connector.simulator.control.setGraphConfig({ teamsConfigurationsNextLink: true });
    }
    const stored = (await connector.rows(tableNames.replica)).filter(
      (row) =>
        String(row.partitionKey).startsWith(`${tenant.id}|`) && String(row.rowKey).startsWith('voice|'),
    );
    expect(stored).toHaveLength(tenant.teamsConfigurations.size);
  });
});
