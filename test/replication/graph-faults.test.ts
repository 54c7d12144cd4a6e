import { QueueClient } from '@azure/storage-queue';
import { beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../src/app-services.js';
import { dependencies } from '../../src/lib/dependencies.js';
import { AppTokenProvider } from '../../src/lib/identity/app-token-provider.js';
import { poisonQueue, queueNames, tableNames } from '../../src/lib/storage/storage-names.js';
import { type TenantPartitionRow, tenantRows } from '../../src/lib/tenants/tenant-partition.js';
import { eventually, until } from '../support/eventually.js';
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

const runsTable = () => dependencies().storage.table<TenantPartitionRow>(tableNames.tenants);
const runRecord = async (runId: string) => (await runsTable().get(tenantId, tenantRows.run(runId)))?.entity;
const runView = async (runId: string) =>
  (await connector.call('GET', `/tenants/${tenantId}/replication-runs`)).body.value.find(
    (run: { runId: string }) => run.runId === runId,
  );
const eventsOf = (type: string, runId: string) =>
  connector.standIn.events.filter((event) => event.type === type && event.data.runId === runId);
const tenantStatus = async () => (await connector.call('GET', `/tenants/${tenantId}`)).body.status;

describe('Graph throttling and outages never fail a run before the retry horizon', () => {
  it('waits out a storm of 429s through the host: the run comes back as Graph asks, completes once, nothing poisoned', async () => {
    connector.simulator.control.updateUser(
      tenantId,
      connector.simulator.directory.tenant(tenantId).userOrder[3] as string,
      { displayName: 'Renamed In The Storm' },
    );
    const storm = connector.simulator.control.injectFault({
      path: '/users/delta',
      status: 429,
      retryAfterSeconds: 1,
    });
    const queued = await connector.call('POST', `/tenants/${tenantId}/replicate`);
    const runId: string = queued.body.runId;
    // The run says what it waits for while the storm lasts.
    const waiting = await until(
      () => runView(runId),
      (run) => run?.waiting?.reason !== undefined,
    );
    expect(waiting.waiting.reason).toBe('Microsoft Graph throttled the tenant (429)');
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    expect((await runView(runId)).status).not.toBe('failed');
    connector.simulator.faults.remove(storm);

    const done = await until(
      () => runView(runId),
      (run) => run?.status === 'completed',
      30_000,
    );
    expect(done.status).toBe('completed');
    expect(done.waiting).toBeUndefined();
    expect(Number((await runRecord(runId))?.slices)).toBeGreaterThan(2);
    await eventually(() => eventsOf('replication.completed', runId).length === 1);
    const changes = (
      await connector.call('GET', `/tenants/${tenantId}/changes?top=1000&cursor=${done.cursor}`)
    ).body;
    expect(changes.value).toEqual([]);
    expect(eventsOf('replication.failed', runId)).toEqual([]);
    const poison = new QueueClient(
      connector.azurite.connectionString,
      poisonQueue(queueNames.replicationJobs),
    );
    expect((await poison.exists()) ? (await poison.peekMessages()).peekedMessageItems : []).toEqual([]);
  });

  it('fails a run once when Graph stays unavailable past the retry horizon, naming it, and leaves the tenant as it was', async () => {
    const worker = workerWith('graph-outage-test', { waitSeconds: 0, sliceMs: 1 });
    const job = {
      tenantId,
      runId: (await services().replicationScheduler.createRun(tenantId, 'on_demand')).runId,
    };
    const outage = connector.simulator.control.injectFault({ path: '/delta', status: 503 });
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) expect(await worker.process(job)).toBe('deferred');
      expect(await runRecord(job.runId)).toMatchObject({
        status: 'running',
        waitingFor: 'Microsoft Graph was unavailable (503 ServiceUnavailable)',
      });
      const stored = await runsTable().get(tenantId, tenantRows.run(job.runId));
      if (!stored) throw new Error('no run');
      await runsTable().update(
        { ...stored.entity, waitingSince: new Date(Date.now() - 7 * 3_600_000).toISOString() },
        stored.etag,
      );
      expect(await worker.process(job)).toBe('failed');
    } finally {
      connector.simulator.faults.remove(outage);
    }
    expect((await runRecord(job.runId))?.reason).toBe(
      'Microsoft Graph was unavailable (503 ServiceUnavailable), for more than 6 hours',
    );
    await eventually(() => eventsOf('replication.failed', job.runId).length === 1);
    expect(eventsOf('replication.failed', job.runId)[0]?.data.reason).toBe(
      'Microsoft Graph was unavailable (503 ServiceUnavailable), for more than 6 hours',
    );
    expect(await worker.process(job)).toBe('already_done');
    expect(await tenantStatus()).toBe('active');
  });

  it('waits out Microsoft Entra not answering token requests rather than calling the credentials wrong', async () => {
    // A token provider of its own, so the token is asked of Entra rather than taken from MSAL's cache.
    const fresh = () =>
      workerWith('entra-outage-test', {
        waitSeconds: 0,
        tokens: new AppTokenProvider(dependencies().settings),
      });
    const worker = fresh();
    const job = {
      tenantId,
      runId: (await services().replicationScheduler.createRun(tenantId, 'on_demand')).runId,
    };
    const outage = connector.simulator.control.injectFault({ path: '/oauth2/v2.0/token', status: 503 });
    try {
      expect(await worker.process(job)).toBe('deferred');
      expect((await runRecord(job.runId))?.waitingFor).toBe('Microsoft Entra did not answer token requests');
    } finally {
      connector.simulator.faults.remove(outage);
    }
    expect(await tenantStatus()).toBe('active');
    // MSAL itself holds back a token request for a while after a 503; a new client asks again at once.
    expect(await fresh().process(job)).toBe('completed');
    expect((await runRecord(job.runId))?.waitingFor).toBeUndefined();
  });
});
