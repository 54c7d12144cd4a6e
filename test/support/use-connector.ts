import { afterAll, beforeAll } from 'vitest';
import { ConnectorFixture, type HostProcessOptions } from './connector-fixture.js';

/**
 * The running connector for a test file: started before its tests (with `values` as extra settings), stopped
 * after them. The returned object stands for the fixture once it has started.
 */
export function useConnector(
  values: Record<string, string> = {},
  hostProcess?: HostProcessOptions,
): ConnectorFixture {
  let started: ConnectorFixture | undefined;
  beforeAll(async () => {
    started = await ConnectorFixture.start(values, hostProcess);
  });
  afterAll(async () => {
    await started?.stop();
  });
  return new Proxy({} as ConnectorFixture, {
    get(_, property) {
      if (!started) throw new Error('The connector has not started yet: use it inside a test or a hook.');
      const value = Reflect.get(started, property, started);
      return typeof value === 'function' ? value.bind(started) : value;
    },
  });
}

/**
 * The settings of a crash test's connector: its workflows' leases as short as their renewal (every quarter of the
 * term) safely allows on a busy machine, so a dead host holds its workflow up for seconds, not half a minute.
 */
export const crashTestSettings = { WORKFLOW_LEASE_SECONDS: '8' };
