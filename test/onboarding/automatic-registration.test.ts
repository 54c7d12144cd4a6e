import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newUser } from '../../sim/tenant/model.js';
import { delegatedScopes } from '../../src/lib/onboarding/automatic/provisioning-sign-in.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { directoryRoles as r } from '../../src/lib/validation/directory-roles.js';
import { signIn } from '../sim/sim-fixture.js';
import { PageSession } from '../support/browserless.js';
import { tenantWithAdmin } from '../support/tenant-with-admin.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();
type SampleTenant = { id: string; domain: string; admin: { userPrincipalName: string } };
const contoso = () => connector.world.tenants[0] as SampleTenant;
const fabrikam = () => connector.world.tenants[1] as SampleTenant;

async function invite(overrides: Record<string, unknown> = {}) {
  const created = await connector.call('POST', '/invitations', {
    body: {
      customer: { reference: `C-${randomUUID().slice(0, 6)}`, name: 'Automatic Customer' },
      services: [
        { id: 'dr-london', name: 'Direct Routing London' },
        { id: 'dr-paris', name: 'Direct Routing Paris' },
      ],
      licenceType: 'HostedPro',
      method: 'automatic',
      ...overrides,
    },
  });
  expect(created.status).toBe(201);
  return { id: created.body.id as string, path: new URL(created.body.url).pathname };
}

const registrations = (tenantId: string) =>
  [...connector.simulator.directory.applications.values()].filter(
    (app) => app.homeTenantId === tenantId && app.displayName === 'Live Platform Connector',
  );

/** The admin's whole round trip: our sign-in link, Microsoft's page (pick the account, accept or cancel), our callback. */
async function signInAs(
  session: PageSession,
  path: string,
  upn: string,
  decision: 'accept' | 'decline' = 'accept',
) {
  const start = await session.get(`${path}/sign-in`);
  expect(start.status).toBe(302);
  const authorize = start.headers.get('location') as string;
  expect(new URL(authorize).searchParams.get('code_challenge_method')).toBe('S256');
  const back = await signIn(authorize, upn, decision);
  return { callbackUrl: back.toString(), page: await session.get(back.toString()) };
}

function addUser(tenantId: string, alias: string, roleIds: string[]) {
  const tenant = connector.simulator.directory.tenant(tenantId);
  const user = tenant.addUser(
    newUser({ id: randomUUID(), displayName: alias, userPrincipalName: `${alias}@${tenant.initialDomain}` }),
  );
  for (const role of roleIds) tenant.assignRole(user.id, role);
  return user.userPrincipalName;
}

describe('automatic registration', () => {
  it('as a Global Administrator: creates, grants and assigns everything, and the connection is ready', async () => {
    const { id, path } = await invite();
    const session = new PageSession(connector.publicBaseUrl);
    const { page } = await signInAs(session, path, contoso().admin.userPrincipalName);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Ready: the connection works and holds what it needs.');

    const [app] = registrations(contoso().id);
    expect(registrations(contoso().id)).toHaveLength(1);
    expect(app?.signInAudience).toBe('AzureADMyOrg');
    const tenant = connector.simulator.directory.tenant(contoso().id);
    const principal = tenant.servicePrincipalByAppId(app?.appId as string);
    expect(app?.ownerIds).toContain(principal?.id);
    expect(tenant.rolesOf(principal?.id as string)).toEqual([r.teamsAdministrator.id]);
    expect(app?.passwordCredentials).toHaveLength(2);
    for (const service of ['dr-london', 'dr-paris']) {
      const secret = connector.simulator.vaults
        .get('connector')
        ?.vault.secrets.get(tenantSecretName(contoso().id, service).toLowerCase());
      expect(secret?.versions.at(-1)?.tags.client).toBe(app?.appId);
    }
    expect((await connector.call('GET', `/invitations/${id}`)).body).toMatchObject({
      status: 'completed',
      tenantId: contoso().id,
    });
    const stored = JSON.stringify([await connector.rows(tableNames.tenants), connector.logs, page.html]);
    for (const credential of app?.passwordCredentials ?? [])
      expect(stored).not.toContain(credential.secretText);
  });

  it('reads the admin’s roles from the id_token when the provisioning app asks for wids, and from Graph when not', async () => {
    const appId = connector.world.provisioningApp.clientId;
    connector.simulator.control.setGroupMembershipClaims(appId, 'DirectoryRole');
    try {
      const tenantId = tenantWithAdmin(connector, { name: 'Wids Co', alias: 'wes', seed: 21 }).id;
      const { path } = await invite();
      const { page } = await signInAs(
        new PageSession(connector.publicBaseUrl),
        path,
        'wes@widsco.onmicrosoft.com',
      );
      expect(page.status).toBe(200);
      expect(registrations(tenantId)).toHaveLength(1);
    } finally {
      connector.simulator.control.setGroupMembershipClaims(appId, undefined);
    }
  });

  it('refuses, creating nothing, an admin whose Application Administrator role is only eligible (PIM), and audits it', async () => {
    const tenantId = tenantWithAdmin(connector, {
      name: 'Eligible Co',
      alias: 'eli',
      seed: 22,
      role: 'applicationAdministrator',
    }).id;
    const tenant = connector.simulator.directory.tenant(tenantId);
    const admin = [...tenant.users.values()].find((user) => user.userPrincipalName.startsWith('eli@'));
    connector.simulator.control.removeRoleAssignment(
      tenantId,
      admin?.id as string,
      r.applicationAdministrator.id,
    );
    connector.simulator.control.assignRole(tenantId, admin?.id as string, r.applicationAdministrator.id, {
      eligible: true,
    });
    // The organisation consented to the provisioning app before, so signing in needs no admin now.
    connector.simulator.control.grantDelegatedConsent(tenantId, connector.world.provisioningApp.clientId, [
      ...delegatedScopes,
    ]);
    const { id, path } = await invite();
    const { page } = await signInAs(
      new PageSession(connector.publicBaseUrl),
      path,
      'eli@eligibleco.onmicrosoft.com',
    );
    expect(page.status).toBe(403);
    expect(page.html).toContain('activate it and sign in again');
    expect(registrations(tenantId)).toHaveLength(0);
    const audit = (await connector.rows(tableNames.audit)).find((entry) => entry.invitationId === id);
    expect(audit).toMatchObject({
      action: 'onboarding.automatic',
      outcome: 'refused',
      tenantId,
      detail: 'admin_lacks_application_administrator',
    });
  });

  it('never creates a second app when the callback is refreshed or replayed', async () => {
    const tenantId = tenantWithAdmin(connector, { name: 'Replay Co', alias: 'rae', seed: 8 }).id;
    const { path } = await invite();
    const session = new PageSession(connector.publicBaseUrl);
    const { callbackUrl, page } = await signInAs(session, path, 'rae@replayco.onmicrosoft.com');
    expect(page.status).toBe(200);
    const replay = await session.get(callbackUrl);
    expect(replay.status).toBe(400);
    expect(replay.html).toContain('completed already');
    const elsewhere = await new PageSession(connector.publicBaseUrl).get(callbackUrl);
    expect(elsewhere.status).toBe(400);
    expect(registrations(tenantId)).toHaveLength(1);
  });

  it('makes one app when the answer to its creation is lost after Graph made it', async () => {
    const tenantId = tenantWithAdmin(connector, { name: 'Lost Answer Co', alias: 'lou', seed: 23 }).id;
    connector.simulator.control.injectFault({
      path: '/v1.0/applications',
      afterWrite: true,
      status: 503,
      count: 1,
    });
    const { path } = await invite();
    const { page } = await signInAs(
      new PageSession(connector.publicBaseUrl),
      path,
      'lou@lostanswerco.onmicrosoft.com',
    );
    expect(page.status).toBe(200);
    expect(registrations(tenantId)).toHaveLength(1);
    expect(registrations(tenantId)[0]?.passwordCredentials).toHaveLength(2);
  });

  it('keeps one password per service when the answer to addPassword is lost, after the admin tries again', async () => {
    const tenantId = tenantWithAdmin(connector, { name: 'Lost Secret Co', alias: 'lex', seed: 24 }).id;
    connector.simulator.control.injectFault({ path: 'addPassword', afterWrite: true, status: 503, count: 1 });
    const { path } = await invite();
    const session = new PageSession(connector.publicBaseUrl);
    const first = await signInAs(session, path, 'lex@lostsecretco.onmicrosoft.com');
    expect(first.page.status).toBe(502);
    expect(first.page.html).toContain('Microsoft did not answer');
    expect(first.page.html).toContain(`href="${path}"`);
    expect(registrations(tenantId)[0]?.passwordCredentials).toHaveLength(1);
    const again = await signInAs(session, path, 'lex@lostsecretco.onmicrosoft.com');
    expect(again.page.status).toBe(200);
    expect(registrations(tenantId)).toHaveLength(1);
    const passwords = registrations(tenantId)[0]?.passwordCredentials ?? [];
    expect(passwords.map((password) => password.displayName).sort()).toEqual([
      'Live Platform service dr-london',
      'Live Platform service dr-paris',
    ]);
  });

  it('refuses, creating nothing, a second invitation for a tenant that is connected already', async () => {
    const second = addUser(contoso().id, `ga-${randomUUID().slice(0, 6)}`, [r.globalAdministrator.id]);
    const before = registrations(contoso().id).length;
    const { path } = await invite();
    const { page } = await signInAs(new PageSession(connector.publicBaseUrl), path, second);
    expect(page.status).toBe(409);
    expect(page.html).toContain('connected to the Live Platform already');
    expect(registrations(contoso().id)).toHaveLength(before);
  });

  it('as an Application Administrator only: creates the app, then gives the admin-consent link and the roles to assign', async () => {
    const { path } = await invite();
    const session = new PageSession(connector.publicBaseUrl);
    const { page } = await signInAs(session, path, fabrikam().admin.userPrincipalName);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Blocked');
    expect(page.html).toContain('Next steps');
    expect(page.html).toContain('Assign Teams Administrator to the app');
    const consentLink = /href="([^"]*adminconsent[^"]*)"/
      .exec(page.html)?.[1]
      ?.replaceAll('&amp;', '&') as string;
    expect(new URL(consentLink).searchParams.get('client_id')).toBe(registrations(fabrikam().id)[0]?.appId);

    const [app] = registrations(fabrikam().id);
    const principal = connector.simulator.directory
      .tenant(fabrikam().id)
      .servicePrincipalByAppId(app?.appId as string);
    connector.simulator.control.assignRole(fabrikam().id, principal?.id as string, r.teamsAdministrator.id);
    const globalAdmin = addUser(fabrikam().id, 'gloria.global', [r.globalAdministrator.id]);
    const consentBack = await signIn(consentLink, globalAdmin);
    expect(consentBack.searchParams.get('admin_consent')).toBe('True');
    // The tenant parameter is never trusted: another tenant's id there changes nothing.
    consentBack.searchParams.set('tenant', contoso().id);
    const afterConsent = await session.get(consentBack.toString());
    expect(afterConsent.status).toBe(200);
    expect(afterConsent.html).toContain('Ready');
    expect(afterConsent.html).toContain(fabrikam().id);
  });

  it('creates nothing when the admin declines consent', async () => {
    const before = registrations(contoso().id).length;
    const { path } = await invite();
    const { page } = await signInAs(
      new PageSession(connector.publicBaseUrl),
      path,
      contoso().admin.userPrincipalName,
      'decline',
    );
    expect(page.status).toBe(400);
    expect(page.html).toContain('You declined the permissions, so nothing was created.');
    expect(registrations(contoso().id)).toHaveLength(before);
  });

  it('creates nothing when the admin lacks Application Administrator', async () => {
    const tenantId = tenantWithAdmin(connector, {
      name: 'Roles Co',
      alias: 'pat',
      seed: 9,
      role: 'privilegedRoleAdministrator',
    }).id;
    const { path } = await invite();
    const { page } = await signInAs(
      new PageSession(connector.publicBaseUrl),
      path,
      'pat@rolesco.onmicrosoft.com',
    );
    expect(page.status).toBe(403);
    expect(page.html).toContain('Automatic registration needs Application Administrator');
    expect(registrations(tenantId)).toHaveLength(0);
  });

  it("shortens the secret lifetime while the tenant's policy refuses it", async () => {
    const tenantId = tenantWithAdmin(connector, { name: 'Policy Co', alias: 'gus', seed: 5 }).id;
    connector.simulator.control.setPolicies(tenantId, { maxSecretLifetimeDays: 40 });
    const { path } = await invite({ services: [{ id: 'dr-1', name: 'One' }] });
    const { page } = await signInAs(
      new PageSession(connector.publicBaseUrl),
      path,
      'gus@policyco.onmicrosoft.com',
    );
    expect(page.status).toBe(200);
    const expires = registrations(tenantId)[0]?.passwordCredentials[0]?.endDateTime.getTime() ?? 0;
    expect(Math.round((expires - Date.now()) / 86_400_000)).toBe(30);
  });

  it('gives the service a certificate instead when the policy refuses every secret lifetime the connector uses', async () => {
    const tenantId = tenantWithAdmin(connector, { name: 'Strict Co', alias: 'sue', seed: 6 }).id;
    connector.simulator.control.setPolicies(tenantId, { maxSecretLifetimeDays: 3 });
    const { path } = await invite({ services: [{ id: 'dr-1', name: 'One' }] });
    const { page } = await signInAs(
      new PageSession(connector.publicBaseUrl),
      path,
      'sue@strictco.onmicrosoft.com',
    );
    expect(page.status).toBe(200);
    expect(registrations(tenantId)[0]?.passwordCredentials).toEqual([]);
    expect(registrations(tenantId)[0]?.keyCredentials).toHaveLength(1);
  });

  it('removes the app and its certificate again, and explains, when the policy refuses secrets and the certificate', async () => {
    const tenantId = tenantWithAdmin(connector, { name: 'Stricter Co', alias: 'sid', seed: 61 }).id;
    connector.simulator.control.setPolicies(tenantId, {
      passwordsForbidden: true,
      maxCertificateLifetimeDays: 90,
    });
    const { id, path } = await invite({ services: [{ id: 'dr-1', name: 'One' }] });
    const { page } = await signInAs(
      new PageSession(connector.publicBaseUrl),
      path,
      'sid@stricterco.onmicrosoft.com',
    );
    expect(page.status).toBe(403);
    expect(page.html).toContain('refuses both client secrets and the connector');
    expect(registrations(tenantId)).toHaveLength(0);
    const certificate = connector.simulator.vaults
      .get('connector')
      ?.vault.certificates.get(`tenantcert-${tenantId}-dr-1`);
    expect(certificate?.deleted).toBeDefined();
    expect((await connector.call('GET', `/invitations/${id}`)).body.status).toBe('pending');
  });

  it('waits for a new secret to start working before it declares success', async () => {
    const tenantId = tenantWithAdmin(connector, { name: 'Slow Co', alias: 'sam', seed: 7 }).id;
    connector.simulator.control.setPolicies(tenantId, { secretPropagationMs: 1500 });
    const { path } = await invite({ services: [{ id: 'dr-1', name: 'One' }] });
    const { page } = await signInAs(
      new PageSession(connector.publicBaseUrl),
      path,
      'sam@slowco.onmicrosoft.com',
    );
    expect(page.status).toBe(200);
    expect(page.html).toContain('Ready');
  });
});
