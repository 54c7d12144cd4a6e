import { describe, expect, it } from 'vitest';
import { masterKey } from '../support/connector-fixture.js';
import { eventually } from '../support/eventually.js';
import { onboardManually } from '../support/onboard-manually.js';
import { replicationRun } from '../support/replication-run.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector({ FEED_RETENTION_DAYS: '0' });

describe('trying feed retention locally (the operations guide)', () => {
  it('with FEED_RETENTION_DAYS 0, housekeeping run now through the admin route leaves a 410 for the first cursor and the newest one working', async () => {
    const tenant = connector.simulator.control.generateTenant({
      displayName: 'Retention Demo',
      domain: 'retention-demo.example',
      seed: 1704,
      sizes: { users: 3, groups: 1 },
    });
    await onboardManually(connector, tenant.id);
    expect(await replicationRun(connector, tenant.id)).toBe('completed');
    const first = await connector.call('GET', `/tenants/${tenant.id}/changes`);
    expect(first.status).toBe(200);
    const firstCursor = first.body.cursor as string;

    // The core stops reading after the first run; two more runs each bring a change.
    const [someone] = connector.simulator.directory.tenant(tenant.id).users.keys();
    for (const name of ['Renamed For The Demo', 'Renamed Again']) {
      connector.simulator.control.updateUser(tenant.id, someone as string, { displayName: name });
      expect(await replicationRun(connector, tenant.id)).toBe('completed');
    }
    let newest = firstCursor;
    const renamed: string[] = [];
    for (;;) {
      const page = await connector.call('GET', `/tenants/${tenant.id}/changes?cursor=${newest}`);
      if (page.body.value.length === 0) break;
      renamed.push(
        ...page.body.value.map((change: { data: { displayName: string } }) => change.data.displayName),
      );
      newest = page.body.cursor;
    }
    expect(renamed).toEqual(['Renamed For The Demo', 'Renamed Again']);

    const fired = await fetch(`${connector.host.url}/admin/functions/housekeeping`, {
      method: 'POST',
      headers: { 'x-functions-key': masterKey, 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    expect(fired.status).toBe(202);
    await eventually(
      async () => (await connector.call('GET', `/tenants/${tenant.id}/changes`)).status === 410,
    );

    const expired = await connector.call('GET', `/tenants/${tenant.id}/changes?cursor=${firstCursor}`);
    expect(expired.status).toBe(410);
    expect(expired.body.snapshot).toBe(`/api/tenants/${tenant.id}/replica`);
    const goesOn = await connector.call('GET', `/tenants/${tenant.id}/changes?cursor=${newest}`);
    expect(goesOn.status).toBe(200);
  }, 60_000);
});
