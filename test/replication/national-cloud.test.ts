import { beforeAll, describe, expect, it } from 'vitest';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { until } from '../support/eventually.js';
import { checkFeedsAfterEach } from '../support/feed-invariant.js';
import { onboardInNationalCloud } from '../support/onboard-manually.js';
import { useConnector } from '../support/use-connector.js';

// The US Government cloud, its endpoints pointed at the simulator, whose Graph answers as a national cloud's.
const connector = useConnector({ CLOUD: 'AzureUSGovernment' });
checkFeedsAfterEach(connector);
let tenantId: string;

beforeAll(async () => {
  tenantId = await onboardInNationalCloud(connector);
});

describe('in a national cloud, where Graph has no Teams telephony endpoints', () => {
  it('validates without the Teams permissions, and says why', async () => {
    const validation = await connector.call('POST', `/tenants/${tenantId}/validate`);
    expect(validation.body.report.verdict).toBe('ready');
    expect(validation.body.report.permissions.missing).toEqual([]);
    expect(validation.body.report.warnings.map((warning: { code: string }) => warning.code)).toContain(
      'teams_not_in_cloud',
    );
  });

  it('issues Teams PowerShell tokens all the same: Microsoft documents app-only Teams PowerShell in GCC High', async () => {
    const issued = await connector.call('POST', `/tenants/${tenantId}/services/dr-london/access-tokens`, {
      body: {},
    });
    expect(issued.status).toBe(200);
    expect(issued.body.tokens.map((token: { resource: string }) => token.resource)).toEqual([
      'graph',
      'teams',
    ]);
  });

  it('replicates users, groups and members, skipping the Teams phases and saying so', async () => {
    const queued = await connector.call('POST', `/tenants/${tenantId}/replicate`);
    const runs = await until(
      () => connector.call('GET', `/tenants/${tenantId}/replication-runs`),
      (response) => ['completed', 'failed'].includes(response.body.value[0]?.status),
    );
    const run = runs.body.value[0];
    expect(run).toMatchObject({ runId: queued.body.runId, status: 'completed', phase: 'done' });
    expect(run.counts.usersUpserted).toBe(41);
    expect(run.counts.voiceUpdated).toBe(0);
    expect(run.notes).toEqual([
      'voice: Microsoft Graph has no such endpoint in this cloud (the global service only); skipped',
      'numbers: Microsoft Graph has no such endpoint in this cloud (the global service only); skipped',
    ]);
    const rows = (await connector.rows(tableNames.replica)).filter((row) =>
      String(row.partitionKey).startsWith(`${tenantId}|`),
    );
    expect(rows.some((row) => String(row.rowKey).startsWith('voice|'))).toBe(false);
    expect(rows.some((row) => String(row.rowKey).startsWith('user|'))).toBe(true);
  });

  it('refuses write-back with a clear problem: Graph has no number or policy assignment in this cloud', async () => {
    const turnOn = await connector.call('PUT', `/tenants/${tenantId}/write-back`, {
      body: { enabled: true },
    });
    expect(turnOn.status).toBe(409);
    expect(turnOn.body.type).toMatch(/write_back_unavailable$/);
    expect(turnOn.body.detail).toMatch(/global service only/);
    const assign = await connector.call('POST', `/tenants/${tenantId}/number-assignments`, {
      body: { requestId: 'gov-1', action: 'unassign', telephoneNumber: '+12025550100' },
    });
    expect(assign.status).toBe(409);
    expect(assign.body.type).toMatch(/write_back_unavailable$/);
    expect((await connector.call('GET', `/tenants/${tenantId}`)).body.writeBack).toBe(false);
  });
});
