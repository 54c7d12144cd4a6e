import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SampleWorld } from '../../sim/sample-world.js';
import type { Simulator } from '../../sim/server.js';
import { appToken, graphFetch, registerCustomerApp, startSampleSimulator } from './sim-fixture.js';

let simulator: Simulator;
let world: SampleWorld;
let tenantId: string;

beforeAll(async () => {
  ({ simulator, world } = await startSampleSimulator());
  tenantId = world.tenants[0]?.id as string;
});

afterEach(() => {
  simulator.control.setThrottleBudget(undefined);
  simulator.control.clearFaults();
});

afterAll(async () => {
  await simulator?.stop();
});

async function graphAs(permissions: string[]) {
  const app = registerCustomerApp(simulator, tenantId, permissions);
  return graphFetch(simulator, await appToken(simulator, tenantId, app.clientId, app.clientSecret));
}

describe('Graph authentication and permissions', () => {
  it('answers 401 InvalidAuthenticationToken without a token or with a forged one', async () => {
    const none = await fetch(`${simulator.graphEndpoint}/v1.0/users`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe(
      'InvalidAuthenticationToken',
    );
    const forged = await graphFetch(simulator, 'eyJhbGciOiJub25lIn0.e30.')('/users');
    expect(forged.status).toBe(401);
  });

  it("answers 403 Authorization_RequestDenied when the token's permissions do not cover the call", async () => {
    const graph = await graphAs(['Group.Read.All']);
    const response = await graph('/users');
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('Authorization_RequestDenied');
    expect(response.headers.get('request-id')).toBe(response.body.error.innerError['request-id']);
    expect((await graph('/groups')).status).toBe(200);
  });

  it('lets a directory role on the service principal stand in for a permission', async () => {
    const app = registerCustomerApp(simulator, tenantId, []);
    const principal = simulator.directory.tenant(tenantId).servicePrincipalByAppId(app.clientId);
    const graph = graphFetch(simulator, await appToken(simulator, tenantId, app.clientId, app.clientSecret));
    expect(
      (await graph('/domains', { method: 'POST', body: JSON.stringify({ id: 'role.example.com' }) })).status,
    ).toBe(403);
    simulator.control.assignRole(tenantId, principal?.id as string, '8329153b-31d0-4727-b945-745eb3bc5f31');
    expect(
      (await graph('/domains', { method: 'POST', body: JSON.stringify({ id: 'role.example.com' }) })).status,
    ).toBe(201);
  });
});

describe('Graph paging, $select and $filter', () => {
  it('pages /users with $top and next links, and honours $select', async () => {
    const graph = await graphAs(['User.Read.All']);
    const seen: string[] = [];
    let next: string | undefined = '/users?$top=15&$select=displayName';
    while (next) {
      const page = await graph(next);
      expect(page.body.value.length).toBeLessThanOrEqual(15);
      for (const user of page.body.value) {
        expect(Object.keys(user).sort()).toEqual(['displayName', 'id']);
        seen.push(user.id);
      }
      next = page.body['@odata.nextLink'];
    }
    expect(seen.sort()).toEqual([...simulator.directory.tenant(tenantId).users.keys()].sort());
  });

  it('refuses $top above 999', async () => {
    const graph = await graphAs(['User.Read.All']);
    expect((await graph('/users?$top=1000')).status).toBe(400);
  });
});

describe('Graph throttling', () => {
  it('answers a burst past the resource-unit budget with 429, Retry-After and the x-ms headers', async () => {
    const graph = await graphAs(['User.Read.All']);
    simulator.control.setThrottleBudget(10);
    const statuses: number[] = [];
    let throttled: Awaited<ReturnType<typeof graph>> | undefined;
    for (let i = 0; i < 8; i += 1) {
      const response = await graph('/users?$top=1');
      statuses.push(response.status);
      if (response.status === 429) throttled ??= response;
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(Number(throttled?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(throttled?.headers.get('x-ms-throttle-information')).toBe('ResourceUnitLimitExceeded');
    expect(throttled?.body.error.code).toBe('TooManyRequests');
  });

  it('charges $select one unit less', async () => {
    const graph = await graphAs(['User.Read.All']);
    expect((await graph('/users?$top=1')).headers.get('x-ms-resource-unit')).toBe('2');
    expect((await graph('/users?$top=1&$select=id')).headers.get('x-ms-resource-unit')).toBe('1');
  });
});

describe('Graph $batch', () => {
  it('runs up to 20 requests, each on its own, and fails dependants of a failed request with 424', async () => {
    const graph = await graphAs(['User.Read.All']);
    const response = await graph('/$batch', {
      method: 'POST',
      body: JSON.stringify({
        requests: [
          { id: '1', method: 'GET', url: '/users?$top=2' },
          { id: '2', method: 'GET', url: '/groups' },
          { id: '3', method: 'GET', url: '/users?$top=1', dependsOn: ['2'] },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const byId = Object.fromEntries(
      response.body.responses.map((entry: { id: string }) => [entry.id, entry]),
    );
    expect(byId['1'].status).toBe(200);
    expect(byId['1'].body.value).toHaveLength(2);
    expect(byId['2'].status).toBe(403);
    expect(byId['3'].status).toBe(424);
  });

  it('refuses more than 20 requests', async () => {
    const graph = await graphAs(['User.Read.All']);
    const requests = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users' }));
    expect((await graph('/$batch', { method: 'POST', body: JSON.stringify({ requests }) })).status).toBe(400);
  });

  it('throttles each request of a batch on its own: a 200 batch can hold 429s', async () => {
    const graph = await graphAs(['User.Read.All']);
    simulator.control.setThrottleBudget(4);
    const requests = Array.from({ length: 4 }, (_, i) => ({
      id: String(i),
      method: 'GET',
      url: '/users?$top=1',
    }));
    const response = await graph('/$batch', { method: 'POST', body: JSON.stringify({ requests }) });
    expect(response.status).toBe(200);
    expect(response.body.responses.map((entry: { status: number }) => entry.status)).toEqual([
      200, 200, 429, 429,
    ]);
  });
});

describe('injected faults', () => {
  it('answers injected 503s with Retry-After, then recovers', async () => {
    const graph = await graphAs(['User.Read.All']);
    simulator.control.injectFault({ path: '/users', status: 503, retryAfterSeconds: 2, count: 2 });
    expect((await graph('/users')).status).toBe(503);
    const second = await graph('/users');
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('2');
    expect((await graph('/users')).status).toBe(200);
  });

  it('adds latency and resets connections', async () => {
    const graph = await graphAs(['User.Read.All']);
    simulator.control.injectFault({ path: '/users', latencyMs: 200, count: 1 });
    const started = Date.now();
    await graph('/users?$top=1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    simulator.control.injectFault({ path: '/users', reset: true, count: 1 });
    await expect(graph('/users?$top=1')).rejects.toThrow();
    expect((await graph('/users?$top=1')).status).toBe(200);
  });
});
