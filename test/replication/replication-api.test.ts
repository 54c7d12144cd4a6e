import { beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../src/app-services.js';
import { until } from '../support/eventually.js';
import { checkFeedsAfterEach } from '../support/feed-invariant.js';
import { onboardManually } from '../support/onboard-manually.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();
checkFeedsAfterEach(connector);
let tenantId: string;

beforeAll(async () => {
  tenantId = (connector.world.tenants[0] as { id: string }).id;
  await onboardManually(connector, tenantId);
});

describe('replication through the core API and the queue', () => {
  it('replicates on demand: 202, live run history, replication.completed with counts and cursor, then the change feed', async () => {
    const queued = await connector.call('POST', `/tenants/${tenantId}/replicate`);
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: 'queued', trigger: 'on_demand', phase: 'users' });
    const runs = await until(
      () => connector.call('GET', `/tenants/${tenantId}/replication-runs`),
      (response) => response.body.value[0]?.status === 'completed',
    );
    const run = runs.body.value[0];
    expect(run).toMatchObject({ runId: queued.body.runId, status: 'completed', phase: 'done' });
    expect(run.counts.usersUpserted).toBe(41);
    expect(run.elapsedSeconds).toBeGreaterThanOrEqual(0);
    // Which instance worked it (host name and process id), for the logs to read; a queued run has none yet.
    expect(queued.body.instance).toBeUndefined();
    expect(run.instance).toMatch(/^[^:]+:\d+$/);

    const event = await until(
      async () =>
        connector.standIn.events.find(
          (candidate) => candidate.type === 'replication.completed' && candidate.data.runId === run.runId,
        ),
      Boolean,
    );
    expect(event?.data).toMatchObject({
      tenantId,
      runId: run.runId,
      cursor: run.cursor,
      counts: { usersUpserted: 41 },
    });

    const first = await connector.call('GET', `/tenants/${tenantId}/changes?top=10`);
    expect(first.body.value).toHaveLength(10);
    const rest = await connector.call(
      'GET',
      `/tenants/${tenantId}/changes?top=1000&cursor=${first.body.cursor}`,
    );
    const all = [...first.body.value, ...rest.body.value];
    expect(all.filter((change) => change.kind === 'user')).toHaveLength(41);
    expect(rest.body.cursor).toBe(run.cursor);
    const nothing = await connector.call('GET', `/tenants/${tenantId}/changes?cursor=${run.cursor}`);
    expect(nothing.body).toEqual({ value: [], cursor: run.cursor });

    // A run that changes nothing tells the core the same newest cursor, not an empty one.
    const again = await connector.call('POST', `/tenants/${tenantId}/replicate`);
    const unchanged = await until(
      async () =>
        connector.standIn.events.find(
          (candidate) =>
            candidate.type === 'replication.completed' && candidate.data.runId === again.body.runId,
        ),
      Boolean,
    );
    expect(unchanged?.data.counts).toMatchObject({ usersUpserted: 0, usersDeleted: 0 });
    expect(unchanged?.data.cursor).toBe(run.cursor);
  });

  it('gives up after maxDequeueCount failures: the poison handler fails the run and tells the core', async () => {
    connector.simulator.control.injectFault({ path: '/users/delta', status: 403 });
    const queued = await connector.call('POST', `/tenants/${tenantId}/replicate`);
    const runs = await until(
      () => connector.call('GET', `/tenants/${tenantId}/replication-runs`),
      (response) =>
        response.body.value.find((run: { runId: string }) => run.runId === queued.body.runId)?.status ===
        'failed',
    );
    connector.simulator.control.clearFaults();
    expect(runs.body.value.find((run: { runId: string }) => run.runId === queued.body.runId)).toMatchObject({
      status: 'failed',
      reason: 'gave up after repeated failures',
    });
    const event = await until(
      async () =>
        connector.standIn.events.find(
          (candidate) =>
            candidate.type === 'replication.failed' && candidate.data.runId === queued.body.runId,
        ),
      Boolean,
    );
    expect(event?.data).toMatchObject({ tenantId, reason: 'gave up after repeated failures' });
    expect(
      connector.logs.filter((line) => line.includes(`Executing 'Functions.replication-worker'`)).length,
    ).toBeGreaterThanOrEqual(3);
  });

  it('fans out once per cycle: a second firing queues nothing new', async () => {
    const now = new Date('2030-01-02T02:00:00Z');
    const first = await services().replicationScheduler.fanOut(now);
    expect(first.queued).toEqual([tenantId]);
    const second = await services().replicationScheduler.fanOut(now);
    expect(second).toEqual({ queued: [], skipped: [] });
  });

  it('skips a tenant that is not ready, records why, and tells the core', async () => {
    const fabrikam = (connector.world.tenants[1] as { id: string }).id;
    const app = await onboardManually(connector, fabrikam);
    connector.simulator.control.removeRoleAssignment(
      fabrikam,
      app.servicePrincipalId,
      '69091246-20e8-4a56-aa4d-066075b2a7a8',
    );
    await connector.call('POST', `/tenants/${fabrikam}/validate`);
    const result = await services().replicationScheduler.fanOut(new Date('2030-01-03T02:00:00Z'));
    expect(result.skipped).toEqual([{ tenantId: fabrikam, reason: 'required roles or permissions missing' }]);
    const runs = await connector.call('GET', `/tenants/${fabrikam}/replication-runs`);
    expect(runs.body.value[0]).toMatchObject({
      runId: 'cycle-2030-01-03',
      status: 'skipped',
      reason: 'required roles or permissions missing',
    });
    const refused = await connector.call('POST', `/tenants/${fabrikam}/replicate`);
    expect(refused.status).toBe(409);
    await until(
      async () =>
        connector.standIn.events.some(
          (event) => event.type === 'replication.failed' && event.data.tenantId === fabrikam,
        ),
      Boolean,
    );
    expect(
      connector.standIn.events.find(
        (event) => event.type === 'replication.failed' && event.data.tenantId === fabrikam,
      )?.data.reason,
    ).toBe('skipped: required roles or permissions missing');
  });

  it.each([
    ['a cursor that is not one', `/tenants/{t}/changes?cursor=abc`, 400],
    ['an unknown tenant', '/tenants/3f2504e0-4f89-41d3-9a0c-0305e82c3301/replication-runs', 404],
    ['replicating an unknown tenant', '/tenants/3f2504e0-4f89-41d3-9a0c-0305e82c3301/replicate', 404],
  ])('answers %s with a problem', async (name, path, status) => {
    const response = await connector.call(
      name.startsWith('replicating') ? 'POST' : 'GET',
      path.replace('{t}', tenantId),
    );
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});
