import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleWorld } from '../../sim/sample-world.js';
import type { Simulator } from '../../sim/server.js';
import { startSampleSimulator } from './sim-fixture.js';

let simulator: Simulator;
let world: SampleWorld;

beforeAll(async () => {
  ({ simulator, world } = await startSampleSimulator());
});

afterAll(async () => {
  await simulator?.stop();
});

const control = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${simulator.url}/_sim${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
};

describe('control API over HTTPS (/_sim/)', () => {
  it('lists the tenants with their sizes', async () => {
    const { status, body } = await control('GET', '/tenants');
    expect(status).toBe(200);
    const contoso = body.find((tenant: { id: string }) => tenant.id === world.tenants[0]?.id);
    expect(contoso).toMatchObject({ users: 41, groups: 8, domains: ['contosocustomer.onmicrosoft.com'] });
    expect(contoso.memberships).toBe(41 * 3);
  });

  it('adds, changes and deletes a user, addressing the tenant by domain', async () => {
    const tenant = world.tenants[1]?.domain as string;
    const added = await control('POST', `/tenants/${tenant}/users`, {
      displayName: 'Pat Person',
      alias: 'pat.person',
    });
    expect(added.status).toBe(201);
    expect(added.body.userPrincipalName).toBe(`pat.person@${tenant}`);
    expect(
      (await control('PATCH', `/tenants/${tenant}/users/${added.body.id}`, { jobTitle: 'Buyer' })).body
        .jobTitle,
    ).toBe('Buyer');
    expect((await control('DELETE', `/tenants/${tenant}/users/${added.body.id}?hard=true`)).status).toBe(204);
    expect(
      simulator.directory.tenant(world.tenants[1]?.id as string).removedUsers.get(added.body.id)?.reason,
    ).toBe('deleted');
  });

  it('generates a tenant from a seed, and refuses a second one with the same id or domain', async () => {
    const spec = {
      displayName: 'Seeded',
      domain: 'seeded1.onmicrosoft.com',
      seed: 7,
      sizes: { users: 12, groups: 3 },
    };
    const first = await control('POST', '/tenants', spec);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ users: 12, groups: 3 });
    expect((await control('POST', '/tenants', { ...spec, domain: 'seeded2.onmicrosoft.com' })).status).toBe(
      409,
    );
    expect((await control('POST', '/tenants', { ...spec, seed: 8 })).status).toBe(409);
  });

  it('plays Microsoft’s slow parts from outside: sets the timings named, keeps the others, refuses what it does not know', async () => {
    const before = simulator.graph.config.directoryReplicationMs;
    const set = await control('PATCH', '/timings', { teamsProvisioningMs: 60_000, dnsPropagationMs: 5_000 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      teamsProvisioningMs: 60_000,
      dnsPropagationMs: 5_000,
      directoryReplicationMs: before,
    });
    expect(simulator.graph.config.teamsProvisioningMs).toBe(60_000);
    expect((await control('PATCH', '/timings', { teamsProvisioningMs: -1 })).status).toBe(400);
    expect((await control('PATCH', '/timings', { sleepMs: 5 })).status).toBe(400);
    expect(simulator.graph.config.teamsProvisioningMs).toBe(60_000);
    await control('PATCH', '/timings', { teamsProvisioningMs: 0, dnsPropagationMs: 0 });
  });

  it('injects and clears faults', async () => {
    expect((await control('POST', '/faults', { path: '/graph/', status: 503, count: 1 })).status).toBe(201);
    expect((await fetch(`${simulator.graphEndpoint}/v1.0/users`)).status).toBe(503);
    await control('POST', '/faults', { path: '/graph/', status: 503 });
    expect((await control('DELETE', '/faults')).status).toBe(204);
    expect((await fetch(`${simulator.graphEndpoint}/v1.0/users`)).status).toBe(401);
  });

  it.each([
    ['an unknown tenant', 'POST', '/tenants/nowhere.example/users', { displayName: 'x', alias: 'x' }, 404],
    ['a body that is not JSON', 'POST', '/faults', 'not json', 400],
    [
      'a member that does not exist',
      'POST',
      `/tenants/${'6f0b5a3e-2c4d-4e8f-9a1b-3c5d7e9f1a2b'}/groups/none/members`,
      { id: 'x' },
      400,
    ],
  ])('refuses %s', async (_, method, path, body, status) => {
    expect((await control(method, path, body)).status).toBe(status);
  });
});
