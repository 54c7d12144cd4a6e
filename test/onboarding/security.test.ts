import { createHash, randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { signIn } from '../sim/sim-fixture.js';
import { PageSession } from '../support/browserless.js';
import { tenantWithAdmin } from '../support/tenant-with-admin.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();

async function invite() {
  const created = await connector.call('POST', '/invitations', {
    body: {
      customer: { reference: 'SEC', name: 'Security Co' },
      services: [{ id: 'dr-1', name: 'One' }],
      licenceType: 'HostedPro',
      method: 'automatic',
    },
  });
  return new URL(created.body.url).pathname;
}

/** Starts a sign-in in this session; returns its state and where Microsoft would be. */
async function startSignIn(session: PageSession) {
  const start = await session.get(`${await invite()}/sign-in`);
  const location = start.headers.get('location') as string;
  return { state: new URL(location).searchParams.get('state') as string, authorize: location };
}

const callback = (query: Record<string, string>) => `/api/callback/sign-in?${new URLSearchParams(query)}`;
const registrations = () =>
  [...connector.simulator.directory.applications.values()].filter(
    (app) => app.displayName === 'Live Platform Connector',
  ).length;
/** What a callback could create: apps, tenant and provisioning rows, audit entries (not the dispatcher's own rows). */
const writes = async () => [
  registrations(),
  (await connector.rows(tableNames.tenants)).filter(
    (row) => row.rowKey === 'tenant' || String(row.rowKey).startsWith('provisioning|'),
  ).length,
  await connector.count(tableNames.audit),
];

/** A refused callback: a clear page, and nothing created or stored. */
async function expectRefused(session: PageSession, path: string, status: number, words: string) {
  const before = await writes();
  const response = await session.get(path);
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('text/html');
  expect(response.html).toContain(words);
  expect(await writes()).toEqual(before);
  return response;
}

describe('sign-in callback security', () => {
  it('refuses a callback without state', async () => {
    await expectRefused(
      new PageSession(connector.publicBaseUrl),
      callback({ code: 'abc' }),
      400,
      'did not come back with its state',
    );
  });

  it('refuses an unknown state', async () => {
    const session = new PageSession(connector.publicBaseUrl);
    await startSignIn(session);
    await expectRefused(
      session,
      callback({ code: 'abc', state: 'x'.repeat(43) }),
      400,
      'not one the connector started',
    );
  });

  it('refuses a used state', async () => {
    const session = new PageSession(connector.publicBaseUrl);
    const { state } = await startSignIn(session);
    await session.get(
      callback({ state, error: 'access_denied', error_description: 'AADSTS65004: declined' }),
    );
    await expectRefused(session, callback({ code: 'abc', state }), 400, 'completed already');
  });

  it('refuses an expired state', async () => {
    const session = new PageSession(connector.publicBaseUrl);
    const { state } = await startSignIn(session);
    const hash = createHash('sha256').update(state).digest('hex');
    const table = TableClient.fromConnectionString(
      connector.azurite.connectionString,
      tableNames.signInStates,
      { allowInsecureConnection: true },
    );
    await table.updateEntity(
      { partitionKey: hash.slice(0, 2), rowKey: hash, expiresAt: new Date(Date.now() - 1000).toISOString() },
      'Merge',
    );
    await expectRefused(session, callback({ code: 'abc', state }), 400, 'took too long');
  });

  it('refuses a valid state from another browser (its cookie missing), and still serves the right browser', async () => {
    const admin = tenantWithAdmin(connector, { name: 'Browser Co', alias: 'bo', seed: 11 });
    const session = new PageSession(connector.publicBaseUrl);
    const { authorize } = await startSignIn(session);
    const back = await signIn(authorize, 'bo@browserco.onmicrosoft.com');
    const path = `${back.pathname}${back.search}`;
    await expectRefused(new PageSession(connector.publicBaseUrl), path, 400, 'started in another browser');
    const right = await session.get(path);
    expect(right.status).toBe(200);
    expect(right.html).toContain(admin.id);
  });

  it("takes the tenant from the token's tid, never from a tenant parameter", async () => {
    const admin = tenantWithAdmin(connector, { name: 'Tid Co', alias: 'ty', seed: 12 });
    const session = new PageSession(connector.publicBaseUrl);
    const { authorize } = await startSignIn(session);
    const back = await signIn(authorize, 'ty@tidco.onmicrosoft.com');
    back.searchParams.set('tenant', (connector.world.tenants[0] as { id: string }).id);
    back.searchParams.set('redirect_uri', 'https://evil.example/next');
    const page = await session.get(`${back.pathname}${back.search}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain(admin.id);
    expect(page.headers.get('location')).toBeNull();
    expect(page.html).not.toContain('evil.example');
  });

  it('escapes markup in error_description', async () => {
    const session = new PageSession(connector.publicBaseUrl);
    const { state } = await startSignIn(session);
    const page = await expectRefused(
      session,
      callback({ state, error: 'server_error', error_description: '<script>alert(1)</script><img src=x>' }),
      400,
      'Microsoft did not sign you in',
    );
    expect(page.html).not.toContain('<script>alert(1)');
    expect(page.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x&gt;');
  });

  it.each([
    ['access_denied', 'Some words that are not for apps to read', 'Consent declined'],
    [
      'consent_required',
      'AADSTS65004: a number in the text changes nothing',
      'An administrator must consent',
    ],
    ['temporarily_unavailable', 'AADSTS65004: declined', 'Microsoft did not sign you in'],
  ])('decides on the OAuth error %s alone, never on the description', async (error, description, title) => {
    const session = new PageSession(connector.publicBaseUrl);
    const { state } = await startSignIn(session);
    await expectRefused(session, callback({ state, error, error_description: description }), 400, title);
  });

  it.each([
    ['state', 141],
    ['code', 142],
    ['error', 143],
    ['tenant', 144],
  ])('refuses a callback with %s twice, leaving its state usable', async (name, seed) => {
    const admin = tenantWithAdmin(connector, { name: `Twice ${name} Co`, alias: `t${name}`, seed });
    const session = new PageSession(connector.publicBaseUrl);
    const { authorize } = await startSignIn(session);
    const back = await signIn(authorize, admin.admin);
    const twice = new URL(back.href);
    if (!twice.searchParams.has(name)) twice.searchParams.append(name, randomUUID());
    twice.searchParams.append(name, name === 'state' ? 'y'.repeat(43) : randomUUID());
    await expectRefused(session, `${twice.pathname}${twice.search}`, 400, 'more than once');
    const right = await session.get(`${back.pathname}${back.search}`);
    expect(right.status).toBe(200);
    expect(right.html).toContain(admin.id);
  });

  it.each([
    ['state', 145],
    ['code', 146],
  ])(
    'refuses a callback whose %s comes comma-joined (a repeated one, as the host hands it over)',
    async (name, seed) => {
      const admin = tenantWithAdmin(connector, { name: `Joined ${name} Co`, alias: `j${name}`, seed });
      const session = new PageSession(connector.publicBaseUrl);
      const { authorize } = await startSignIn(session);
      const back = await signIn(authorize, admin.admin);
      const joined = new URL(back.href);
      joined.searchParams.set(name, `${joined.searchParams.get(name)},${randomUUID()}`);
      await expectRefused(session, `${joined.pathname}${joined.search}`, 400, 'more than once');
      const right = await session.get(`${back.pathname}${back.search}`);
      expect(right.status).toBe(200);
    },
  );

  it('refuses an oversized query', async () => {
    const session = new PageSession(connector.publicBaseUrl);
    const { state } = await startSignIn(session);
    await expectRefused(session, callback({ state, code: 'c'.repeat(9000) }), 414, 'too much data');
  });
});

describe('admin-consent callback security', () => {
  it('refuses an error redirect that still says admin_consent=True, and changes nothing', async () => {
    const fabrikam = connector.world.tenants[1] as { id: string; admin: { userPrincipalName: string } };
    const session = new PageSession(connector.publicBaseUrl);
    const { authorize } = await startSignIn(session);
    const back = await signIn(authorize, fabrikam.admin.userPrincipalName);
    const result = await session.get(`${back.pathname}${back.search}`);
    const consentLink = /href="([^"]*adminconsent[^"]*)"/
      .exec(result.html)?.[1]
      ?.replaceAll('&amp;', '&') as string;
    const state = new URL(consentLink).searchParams.get('state') as string;
    const before = (await connector.call('GET', `/tenants/${fabrikam.id}`)).body;
    const page = await expectRefused(
      session,
      `/api/callback/consent?${new URLSearchParams({ admin_consent: 'True', error: 'access_denied', error_description: 'AADSTS65004: declined', state, tenant: randomUUID() })}`,
      400,
      'Consent was not granted',
    );
    expect(page.html).toContain('Nothing changed.');
    expect((await connector.call('GET', `/tenants/${fabrikam.id}`)).body).toEqual(before);
  });
});
