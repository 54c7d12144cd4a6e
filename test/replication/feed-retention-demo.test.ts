import { describe, expect, it } from 'vitest';
import { masterKey } from '../support/connector-fixture.js';
import { eventually } from '../support/eventually.js';
import { replicationRun } from '../support/replication-run.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector({ FEED_RETENTION_DAYS: '0' });

describe('trying feed retention locally (the operations guide)', () => {
  it('with FEED_RETENTION_DAYS 0, housekeeping run now through the admin route leaves a 410 for the first cursor and the newest one working', async () => {
    const { tenantId } = await selfManagedTenant(connector, { quiet: true });
    expect(await replicationRun(connector, tenantId)).toBe('completed');
    const first = await connector.call('GET', `/tenants/${tenantId}/changes`);
    expect(first.status).toBe(200);
    const firstCursor = first.body.cursor as string;

    // The core stops reading after the first run; two more runs each bring a change.
    const [someone] = connector.simulator.directory.tenant(tenantId).users.keys();
    for (const name of ['Renamed For The Demo', 'Renamed Again']) {
      connector.simulator.control.updateUser(tenantId, someone as string, { displayName: name });
      expect(await replicationRun(connector, tenantId)).toBe('completed');
    }
    let newest = firstCursor;
    const renamed: string[] = [];
    for (;;) {
      const page = await connector.call('GET', `/tenants/${tenantId}/changes?cursor=${newest}`);
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
      async () => (await connector.call('GET', `/tenants/${tenantId}/changes`)).status === 410,
    );

    const expired = await connector.call('GET', `/tenants/${tenantId}/changes?cursor=${firstCursor}`);
    expect(expired.status).toBe(410);
    expect(expired.body.snapshot).toBe(`/api/tenants/${tenantId}/replica`);
    const goesOn = await connector.call('GET', `/tenants/${tenantId}/changes?cursor=${newest}`);
    expect(goesOn.status).toBe(200);
  }, 60_000);
});
