import { beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../src/app-services.js';
import { dependencies } from '../../src/lib/dependencies.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { type TenantPartitionRow, tenantRows } from '../../src/lib/tenants/tenant-partition.js';
import { checkFeedsAfterEach } from '../support/feed-invariant.js';
import { onboardManually } from '../support/onboard-manually.js';
import { useConnector } from '../support/use-connector.js';
import { workerWith } from '../support/worker-with.js';

const connector = useConnector();
checkFeedsAfterEach(connector);
let tenantId: string;

beforeAll(async () => {
  tenantId = (connector.world.tenants[0] as { id: string }).id;
  await onboardManually(connector, tenantId);
});

const vault = () => connector.simulator.vaults.get('connector')?.vault;
const connectorIdentity = () => connector.world.connectorIdentity.clientId;
const runRecord = async (runId: string) =>
  (
    await dependencies()
      .storage.table<TenantPartitionRow>(tableNames.tenants)
      .get(tenantId, tenantRows.run(runId))
  )?.entity;
const tenantStatus = async () => (await connector.call('GET', `/tenants/${tenantId}`)).body.status;
const newRun = async () => ({
  tenantId,
  runId: (await services().replicationScheduler.createRun(tenantId, 'on_demand')).runId,
});

describe('Key Vault faults', () => {
  it('waits out the connector losing its vault access: the run retries, the tenant keeps its status', async () => {
    const worker = workerWith('vault-denied-test', { waitSeconds: 0 });
    const job = await newRun();
    vault()?.allowedAppIds.delete(connectorIdentity());
    try {
      expect(await worker.process(job)).toBe('deferred');
      expect(await runRecord(job.runId)).toMatchObject({
        status: 'queued',
        waitingFor: 'the connector could not use its Key Vault',
      });
      // Without its vault the connector cannot check the core's signatures either: it says so, and changes nothing.
      const validation = await connector.call('POST', `/tenants/${tenantId}/validate`);
      expect(validation.status).toBe(503);
      expect(validation.body.type).toBe('urn:m365-connector:problem:vault_unavailable');
    } finally {
      vault()?.allowedAppIds.add(connectorIdentity());
    }
    const view = (await connector.call('GET', `/tenants/${tenantId}/replication-runs`)).body.value.find(
      (run: { runId: string }) => run.runId === job.runId,
    );
    expect(view.waiting.reason).toBe('the connector could not use its Key Vault');
    expect(await tenantStatus()).toBe('active');
    expect(await worker.process(job)).toBe('completed');
    expect((await runRecord(job.runId))?.waitingFor).toBeUndefined();
    expect(
      connector.standIn.events.filter(
        (event) => event.type === 'tenant.credentials_invalid' && event.data.tenantId === tenantId,
      ),
    ).toEqual([]);
  });

  it('fails the run once the vault stays out of reach past the retry horizon, still without touching the tenant', async () => {
    const worker = workerWith('vault-horizon-test', { waitSeconds: 0, retryHorizonHours: 6 });
    const job = await newRun();
    vault()?.allowedAppIds.delete(connectorIdentity());
    try {
      expect(await worker.process(job)).toBe('deferred');
      const table = dependencies().storage.table<TenantPartitionRow>(tableNames.tenants);
      const stored = await table.get(tenantId, tenantRows.run(job.runId));
      if (!stored) throw new Error('no run');
      await table.update(
        { ...stored.entity, waitingSince: new Date(Date.now() - 7 * 3_600_000).toISOString() },
        stored.etag,
      );
      expect(await worker.process(job)).toBe('failed');
      expect((await runRecord(job.runId))?.reason).toBe(
        'the connector could not use its Key Vault, for more than 6 hours',
      );
    } finally {
      vault()?.allowedAppIds.add(connectorIdentity());
    }
    expect(await tenantStatus()).toBe('active');
  });

  it('treats a disabled secret as the tenant’s credential problem', async () => {
    const secret = vault()?.secrets.get(tenantSecretName(tenantId, 'dr-london').toLowerCase());
    const latest = secret?.versions.at(-1);
    if (!latest) throw new Error('no secret');
    latest.enabled = false;
    try {
      const job = await newRun();
      expect(await workerWith('vault-disabled-test').process(job)).toBe('failed');
      expect((await runRecord(job.runId))?.reason).toBe('credentials do not work: secret_disabled');
      expect(await tenantStatus()).toBe('credentials_invalid');
    } finally {
      latest.enabled = true;
    }
  });
});
