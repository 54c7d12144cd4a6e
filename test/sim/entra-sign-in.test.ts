import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphAppId, graphAppRoleId, roles } from '../../sim/graph/graph-permissions.js';
import type { SampleWorld } from '../../sim/sample-world.js';
import type { Simulator } from '../../sim/server.js';
import { msalClient, pkce, redirectUri, signIn, startSampleSimulator } from './sim-fixture.js';

let simulator: Simulator;
let world: SampleWorld;
const gail = () => world.tenants[0] as SampleWorld['tenants'][number];
const andy = () => world.tenants[1] as SampleWorld['tenants'][number];

beforeAll(async () => {
  ({ simulator, world } = await startSampleSimulator());
});

afterAll(async () => {
  await simulator?.stop();
});

const provisioning = () =>
  msalClient(simulator, 'organizations', world.provisioningApp.clientId, world.provisioningApp.clientSecret);
const scopes = () => ['openid', 'profile', `${simulator.graphEndpoint}/Application.ReadWrite.All`];

async function codeFor(upn: string, challenge: string, state = 'state-123') {
  const url = await provisioning().getAuthCodeUrl({
    scopes: scopes(),
    redirectUri,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    state,
  });
  const redirect = await signIn(url, upn);
  expect(redirect.origin + redirect.pathname).toBe(redirectUri);
  expect(redirect.searchParams.get('state')).toBe(state);
  return redirect.searchParams.get('code') as string;
}

const redeem = (code: string, verifier: string, uri = redirectUri) =>
  provisioning().acquireTokenByCode({ code, scopes: scopes(), redirectUri: uri, codeVerifier: verifier });

describe('authorization code with PKCE through msal-node', () => {
  it('leaves wids out of the id_token unless the app’s manifest asks for directory roles', async () => {
    const { verifier, challenge } = pkce();
    const result = await redeem(await codeFor(gail().admin.userPrincipalName, challenge), verifier);
    expect(result.idTokenClaims).not.toHaveProperty('wids');
    expect(result.idTokenClaims).toMatchObject({ tid: gail().id });
  });

  it('shows a sign-in page listing the tenant admins, and signs a Global Administrator in', async () => {
    simulator.control.setGroupMembershipClaims(world.provisioningApp.clientId, 'DirectoryRole');
    const { verifier, challenge } = pkce();
    const code = await codeFor(gail().admin.userPrincipalName, challenge);
    const result = await redeem(code, verifier);
    expect(result.idTokenClaims).toMatchObject({
      tid: gail().id,
      preferred_username: gail().admin.userPrincipalName,
    });
    expect((result.idTokenClaims as { wids: string[] }).wids).toContain(roles.globalAdministrator);
    expect(result.scopes).toContain('Application.ReadWrite.All');
    expect(result.tenantId).toBe(gail().id);
  });

  it('signs an Application Administrator in with only that role in wids', async () => {
    const { verifier, challenge } = pkce();
    const result = await redeem(await codeFor(andy().admin.userPrincipalName, challenge), verifier);
    expect((result.idTokenClaims as { wids: string[] }).wids).toEqual([roles.applicationAdministrator]);
  });

  it('puts only active roles in wids: a role eligible through PIM is not there until activated', async () => {
    const tenant = simulator.directory.tenant(andy().id);
    const admin = [...tenant.users.values()].find(
      (user) => user.userPrincipalName === andy().admin.userPrincipalName,
    );
    simulator.control.assignRole(andy().id, admin?.id as string, roles.privilegedRoleAdministrator, {
      eligible: true,
    });
    const { verifier, challenge } = pkce();
    const result = await redeem(await codeFor(andy().admin.userPrincipalName, challenge), verifier);
    expect((result.idTokenClaims as { wids: string[] }).wids).toEqual([roles.applicationAdministrator]);
    simulator.control.removeRoleAssignment(andy().id, admin?.id as string, roles.privilegedRoleAdministrator);
    simulator.control.setGroupMembershipClaims(world.provisioningApp.clientId, undefined);
  });

  it('refuses a wrong PKCE verifier', async () => {
    const { challenge } = pkce();
    const code = await codeFor(gail().admin.userPrincipalName, challenge);
    await expect(redeem(code, pkce().verifier)).rejects.toMatchObject({
      errorCode: 'invalid_grant',
      errorMessage: expect.stringContaining('AADSTS501481'),
    });
  });

  it('refuses a code redeemed twice', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(gail().admin.userPrincipalName, challenge);
    await redeem(code, verifier);
    await expect(redeem(code, verifier)).rejects.toMatchObject({
      errorMessage: expect.stringContaining('AADSTS54005'),
    });
  });

  it('refuses a redirect_uri other than the one the code was issued to', async () => {
    simulator.directory.applications
      .get(world.provisioningApp.clientId)
      ?.redirectUris.push('https://connector.invalid/other');
    const { verifier, challenge } = pkce();
    const code = await codeFor(gail().admin.userPrincipalName, challenge);
    await expect(redeem(code, verifier, 'https://connector.invalid/other')).rejects.toMatchObject({
      errorMessage: expect.stringContaining('AADSTS70000'),
    });
  });

  it('refuses an expired code', async () => {
    const { verifier, challenge } = pkce();
    const code = await codeFor(gail().admin.userPrincipalName, challenge);
    simulator.codes.expireAll();
    await expect(redeem(code, verifier)).rejects.toMatchObject({
      errorMessage: expect.stringContaining('AADSTS70008'),
    });
  });

  it('shows an error page, and redirects nowhere, for an unregistered redirect_uri', async () => {
    const url = await provisioning().getAuthCodeUrl({
      scopes: scopes(),
      redirectUri: 'https://evil.example/callback',
    });
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('AADSTS50011');
  });

  it('redirects with access_denied and AADSTS65004 when the person declines', async () => {
    const url = await provisioning().getAuthCodeUrl({ scopes: scopes(), redirectUri, state: 'declined' });
    const redirect = await signIn(url, gail().admin.userPrincipalName, 'decline');
    expect(Object.fromEntries(redirect.searchParams)).toMatchObject({
      error: 'access_denied',
      state: 'declined',
    });
    expect(redirect.searchParams.get('error_description')).toContain('AADSTS65004');
    expect(redirect.searchParams.has('code')).toBe(false);
  });
});

describe('admin consent', () => {
  function customerApp(tenantId: string) {
    const app = simulator.directory.addApplication({
      homeTenantId: tenantId,
      displayName: 'Connector for the customer',
      redirectUris: [redirectUri],
      requiredResourceAccess: [
        {
          resourceAppId: graphAppId,
          resourceAccess: [{ id: graphAppRoleId('User.Read.All') as string, type: 'Role' }],
        },
      ],
    });
    return app;
  }

  const consentUrl = (tenant: string, clientId: string) =>
    `${simulator.authorityHost}/${tenant}/v2.0/adminconsent?${new URLSearchParams({ client_id: clientId, scope: 'https://graph.microsoft.com/.default', redirect_uri: redirectUri, state: 's-1' })}`;

  it('grants the app its application permissions and redirects with admin_consent=True and the tenant', async () => {
    const app = customerApp(gail().id);
    const redirect = await signIn(consentUrl(gail().id, app.appId), gail().admin.userPrincipalName);
    expect(Object.fromEntries(redirect.searchParams)).toMatchObject({
      admin_consent: 'True',
      tenant: gail().id,
      state: 's-1',
    });
    const principal = simulator.directory.tenant(gail().id).servicePrincipalByAppId(app.appId);
    expect(principal?.appRoleAssignments.map((assignment) => assignment.appRoleId)).toEqual([
      graphAppRoleId('User.Read.All'),
    ]);
  });

  it('refuses an Application Administrator with an error that still says admin_consent=True, and no tenant', async () => {
    const app = customerApp(andy().id);
    const redirect = await signIn(consentUrl(andy().id, app.appId), andy().admin.userPrincipalName);
    expect(redirect.searchParams.get('admin_consent')).toBe('True');
    // Microsoft documents the admin consent error as consent_required.
    expect(redirect.searchParams.get('error')).toBe('consent_required');
    expect(redirect.searchParams.get('error_description')).toContain('AADSTS90094');
    expect(redirect.searchParams.has('tenant')).toBe(false);
    expect(
      simulator.directory.tenant(andy().id).servicePrincipalByAppId(app.appId)?.appRoleAssignments ?? [],
    ).toEqual([]);
  });

  it("refuses the 'common' endpoint", async () => {
    const app = customerApp(gail().id);
    expect((await fetch(consentUrl('common', app.appId))).status).toBe(400);
  });
});
