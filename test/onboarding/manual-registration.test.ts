import { describe, expect, it } from 'vitest';
import { graphAppRoleId } from '../../sim/graph/graph-permissions.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { directoryRoles as r } from '../../src/lib/validation/directory-roles.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { PageSession } from '../support/browserless.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();
const contoso = () => connector.world.tenants[0] as { id: string; domain: string };

async function invite(overrides: Record<string, unknown> = {}) {
  const created = await connector.call('POST', '/invitations', {
    body: {
      customer: { reference: 'C-7', name: 'Contoso Telecom Customer' },
      services: [
        { id: 'dr-london', name: 'Direct Routing London' },
        { id: 'dr-paris', name: 'Direct Routing Paris' },
      ],
      licenceType: 'HostedPro',
      ...overrides,
    },
  });
  expect(created.status).toBe(201);
  return { id: created.body.id as string, path: new URL(created.body.url).pathname };
}

/** The customer's own app registration, with whatever roles and permissions a test gives it, its own owner. */
function customerApp(tenantId: string, permissions: string[], roleIds: string[], owner = true) {
  const app = connector.simulator.directory.addApplication({
    homeTenantId: tenantId,
    displayName: 'Live Platform Connector',
  });
  const secret = connector.simulator.directory.addPassword(app.appId, { lifetimeDays: 90 });
  connector.simulator.control.grantGraphPermissions(tenantId, app.appId, permissions);
  const principal = connector.simulator.directory.tenant(tenantId).servicePrincipalByAppId(app.appId);
  for (const role of roleIds) connector.simulator.control.assignRole(tenantId, principal?.id as string, role);
  if (owner) app.ownerIds.push(principal?.id as string);
  return { clientId: app.appId, secret: secret.secretText, app, servicePrincipalId: principal?.id as string };
}

const everything = [...requiredPermissions.replication, ...requiredPermissions.selfRotation];

async function submit(
  session: PageSession,
  path: string,
  values: { tenantId: string; clientId: string; clientSecret: string },
) {
  const landing = await session.get(path);
  return session.post(`${path}/manual`, { form: PageSession.formToken(landing.html), ...values });
}

describe('manual registration', () => {
  it('shows a landing page with the roles and permissions the options need, under strict headers', async () => {
    const { path } = await invite({
      automaticDns: true,
      site: { siteId: 'site-1', label: 'contoso', usageLocation: 'GB' },
      method: 'either',
    });
    const page = await new PageSession(connector.host.url).get(path);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Connect Contoso Telecom Customer to the Live Platform');
    for (const text of [
      'Teams Administrator',
      'Domain Name Administrator',
      'User Administrator',
      'Application Administrator',
      'Domain.ReadWrite.All',
      'Sign in with Microsoft',
      'Check and connect',
    ]) {
      expect(page.html).toContain(text);
    }
    expect(page.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; form-action 'self'/,
    );
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('set-cookie')).toMatch(
      /^__Host-connector-form=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );
  });

  it('leaves out what the options do not need', async () => {
    const { path } = await invite({ automaticDns: false, method: 'manual' });
    const page = await new PageSession(connector.host.url).get(path);
    expect(page.html).not.toContain('Domain Name Administrator');
    expect(page.html).not.toContain('Sign in with Microsoft');
    expect(page.html).not.toContain('Application Administrator');
  });

  it.each([
    ['a wrong secret', 'clientSecret', 'is not right'],
    ['an expired secret', 'clientSecret', 'has expired'],
    ['an app that is not in that tenant', 'clientId', 'No app with this client ID'],
    ['an unknown tenant', 'tenantId', 'No tenant with this ID'],
    ['a tenant ID that is not a GUID', 'tenantId', 'must be a GUID'],
    ['another tenant than the invitation expects', 'tenantId', 'This invitation is for the tenant'],
  ])('refuses %s with the right message, and stores nothing', async (situation, field, words) => {
    const { id, path } = await invite({
      expectedTenant: situation.startsWith('another') ? 'fabrikamretail.onmicrosoft.com' : undefined,
    });
    const app = customerApp(contoso().id, everything, [r.teamsAdministrator.id]);
    const values = { tenantId: contoso().id, clientId: app.clientId, clientSecret: app.secret };
    if (situation === 'a wrong secret') values.clientSecret = 'abc~not-the-secret';
    if (situation === 'an expired secret') connector.simulator.control.expireSecret(app.clientId);
    if (situation === 'an app that is not in that tenant')
      values.tenantId = (connector.world.tenants[1] as { id: string }).id;
    if (situation === 'an unknown tenant') values.tenantId = '11111111-2222-4333-8444-555555555555';
    if (situation === 'a tenant ID that is not a GUID') values.tenantId = 'contoso';
    const tenantsBefore = await connector.count(tableNames.tenants);
    const response = await submit(new PageSession(connector.host.url), path, values);
    expect(response.status).toBe(400);
    expect(response.html, response.html.match(/class="(missing|error)"[^<]*</)?.[0]).toContain(words);
    expect(response.html).toMatch(new RegExp(`id="${field}"[^>]*>(?:[^<]*<span class="missing">|)`));
    expect(response.html).not.toContain(app.secret);
    expect(await connector.count(tableNames.tenants)).toBe(tenantsBefore);
    expect((await connector.call('GET', `/invitations/${id}`)).body.status).toBe('pending');
  });

  it('connects with working credentials: secrets in Key Vault, tenant registered, invitation completed, events in order', async () => {
    const { id, path } = await invite({ expectedTenant: contoso().domain });
    const app = customerApp(contoso().id, everything, [r.teamsAdministrator.id]);
    const session = new PageSession(connector.host.url);
    const result = await submit(session, path, {
      tenantId: contoso().id,
      clientId: app.clientId,
      clientSecret: app.secret,
    });
    expect(result.status).toBe(200);
    expect(result.html).toContain('Ready: the connection works and holds what it needs.');
    expect(result.html).not.toContain(app.secret);

    const vault = connector.simulator.vaults.get('connector')?.vault;
    for (const service of ['dr-london', 'dr-paris']) {
      const stored = vault?.secrets
        .get(tenantSecretName(contoso().id, service).toLowerCase())
        ?.versions.at(-1);
      expect(stored?.value).toBe(app.secret);
      expect(stored?.tags).toMatchObject({ tenant: contoso().id, client: app.clientId, service });
    }
    expect((await connector.call('GET', `/invitations/${id}`)).body).toMatchObject({
      status: 'completed',
      tenantId: contoso().id,
    });

    const waitFor = async (count: number) => {
      for (
        let i = 0;
        i < 100 &&
        connector.standIn.events.filter((event) => event.data.tenantId === contoso().id).length < count;
        i += 1
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await waitFor(3);
    const events = connector.standIn.events.filter((event) => event.data.tenantId === contoso().id);
    expect(events.map((event) => event.type)).toEqual([
      'invitation.completed',
      'tenant.onboarded',
      'tenant.validation_changed',
    ]);
    expect(events[2]?.data).toMatchObject({ verdict: 'ready' });

    const everywhere = JSON.stringify([
      await connector.rows(tableNames.tenants),
      await connector.rows(tableNames.invitations),
      await connector.rows(tableNames.audit),
      connector.standIn.events,
      connector.logs,
    ]);
    expect(everywhere).not.toContain(app.secret);
    const audit = (await connector.rows(tableNames.audit)).find(
      (entry) => entry.tenantId === contoso().id && entry.outcome === 'succeeded',
    );
    expect(audit).toMatchObject({ action: 'onboarding.manual', invitationId: id });

    const again = await session.post(`${path}/manual`, {
      form: PageSession.formToken(result.html),
      tenantId: contoso().id,
      clientId: app.clientId,
      clientSecret: app.secret,
    });
    expect(again.status).toBe(410);

    const revisit = await session.get(path);
    expect(revisit.html).toContain('Check again');
    const checked = await session.post(`${path}/check`, { form: PageSession.formToken(revisit.html) });
    expect(checked.status).toBe(200);
    expect(checked.html).toContain('Ready');
  });

  it('asks for the app as its own owner, as rotation needs, and agrees with rotation before and after', async () => {
    const tenant = connector.simulator.control.generateTenant({
      displayName: 'Not its own owner',
      domain: 'not-own-owner.example',
      seed: 3401,
      sizes: { users: 1, groups: 1 },
    });
    const { path } = await invite({ services: [{ id: 'dr-london', name: 'Direct Routing London' }] });
    const landing = await new PageSession(connector.host.url).get(path);
    expect(landing.html).toContain('make the app an owner of itself');
    expect(landing.html).toContain('New-MgApplicationOwnerByRef');

    const customer = customerApp(tenant.id, everything, [r.teamsAdministrator.id], false);
    const session = new PageSession(connector.host.url);
    const result = await submit(session, path, {
      tenantId: tenant.id,
      clientId: customer.clientId,
      clientSecret: customer.secret,
    });
    expect(result.status).toBe(200);
    expect(result.html).not.toContain('Ready');
    expect(result.html).toContain('make the app registration an owner of itself');
    const refused = await connector.call('POST', `/tenants/${tenant.id}/services/dr-london/rotate`);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('does not own itself');
    const view = await connector.call('GET', `/tenants/${tenant.id}/validation`);
    expect(view.body.report.verdict).toBe('action_required');
    const rotation = view.body.report.requirements.find(
      (requirement: { id: string }) => requirement.id === 'self_rotation',
    );
    expect(rotation).toMatchObject({ satisfied: false });

    customer.app.ownerIds.push(customer.servicePrincipalId);
    const revisit = await session.get(path);
    const checked = await session.post(`${path}/check`, { form: PageSession.formToken(revisit.html) });
    expect(checked.html).toContain('Ready');
    const started = await connector.call('POST', `/tenants/${tenant.id}/services/dr-london/rotate`);
    expect(started.status).toBe(202);
  });

  it('connects an app that is missing roles, and says exactly what to do', async () => {
    const fabrikam = connector.world.tenants[1] as { id: string };
    const { path } = await invite();
    const app = customerApp(fabrikam.id, [...requiredPermissions.replication], []);
    const result = await submit(new PageSession(connector.host.url), path, {
      tenantId: fabrikam.id,
      clientId: app.clientId,
      clientSecret: app.secret,
    });
    expect(result.status).toBe(200);
    expect(result.html).toContain('Blocked');
    expect(result.html).toContain('Assign Teams Administrator to the app registration');
    expect(result.html).toContain('grant admin consent for Application.ReadWrite.OwnedBy');
    expect((await connector.call('GET', `/invitations`)).status).toBe(200);
    expect(graphAppRoleId('User.Read.All')).toBeDefined();
  });

  it('refuses a form that did not come from the page in this browser (no cookie)', async () => {
    const { path } = await invite();
    const session = new PageSession(connector.host.url);
    const landing = await session.get(path);
    session.forget('__Host-connector-form');
    const response = await session.post(`${path}/manual`, {
      form: PageSession.formToken(landing.html),
      tenantId: contoso().id,
      clientId: contoso().id,
      clientSecret: 'whatever-secret',
    });
    expect(response.status).toBe(400);
    expect(response.html).toContain('Please start again');
  });

  it('says so for an unknown, a revoked and an expired link', async () => {
    const session = new PageSession(connector.host.url);
    expect((await session.get('/api/onboarding/not-a-real-token')).status).toBe(404);
    const { id, path } = await invite();
    await connector.call('DELETE', `/invitations/${id}`, { body: { id: id } });
    const revoked = await session.get(path);
    expect(revoked.status).toBe(410);
    expect(revoked.html).toContain('withdrawn');
  });
});
