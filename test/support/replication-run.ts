import { expect } from 'vitest';
import type { ConnectorFixture } from './connector-fixture.js';
import { until } from './eventually.js';

/** A replication run asked for now through the API, followed to its end; its final status. */
export async function replicationRun(connector: ConnectorFixture, tenantId: string): Promise<string> {
  const started = await connector.call('POST', `/tenants/${tenantId}/replicate`);
  expect(started.status).toBe(202);
  const run = await until(
    async () =>
      (await connector.call('GET', `/tenants/${tenantId}/replication-runs`)).body.value.find(
        (candidate: { runId: string }) => candidate.runId === started.body.runId,
      ),
    (candidate) => candidate?.status === 'completed' || candidate?.status === 'failed',
    30_000,
  );
  return run.status;
}
