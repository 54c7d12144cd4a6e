import { createHash, randomBytes } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { expect, inject } from 'vitest';
import { type SampleWorld, seedSampleWorld } from '../../sim/sample-world.js';
import { Simulator } from '../../sim/server.js';

/**
 * The redirect URI the sample provisioning app registers: on a host that never resolves (RFC 2606), so nothing a
 * developer runs meanwhile (`npm start` listens on localhost:7071) can answer in place of what a test intercepts.
 */
export const redirectUri = 'https://connector.invalid/api/callback/sign-in';

/** A simulator of its own for one test file, with the sample world seeded. */
export async function startSampleSimulator(): Promise<{ simulator: Simulator; world: SampleWorld }> {
  const simulator = await Simulator.start({ certificates: inject('certificates') });
  const world = await seedSampleWorld(simulator, [redirectUri]);
  return { simulator, world };
}

/** The real MSAL client, pointed at the simulator as at any non-public authority. */
export function msalClient(simulator: Simulator, tenant: string, clientId: string, clientSecret: string) {
  return new ConfidentialClientApplication({
    auth: {
      clientId,
      clientSecret,
      authority: `${simulator.authorityHost}/${tenant}`,
      knownAuthorities: [new URL(simulator.authorityHost).host],
    },
  });
}

/** An app-only Graph token for `clientId` in `tenant`, through MSAL. */
export async function appToken(simulator: Simulator, tenant: string, clientId: string, clientSecret: string) {
  const result = await msalClient(simulator, tenant, clientId, clientSecret).acquireTokenByClientCredential({
    scopes: [`${simulator.graphEndpoint}/.default`],
  });
  if (!result?.accessToken) throw new Error('no token');
  return result.accessToken;
}

export function graphFetch(simulator: Simulator, token: string) {
  return async (pathOrUrl: string, init: RequestInit = {}) => {
    const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${simulator.graphEndpoint}/v1.0${pathOrUrl}`;
    const response = await fetch(url, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(init.headers ?? {}),
      },
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
}

/** Reads a JWT's claims without verifying it (the tests only look). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/** A customer tenant's own app registration with a secret and the given Graph permissions granted. */
export function registerCustomerApp(simulator: Simulator, tenantId: string, permissions: string[]) {
  const app = simulator.directory.addApplication({
    homeTenantId: tenantId,
    displayName: 'Live Platform Connector',
  });
  const secret = simulator.directory.addPassword(app.appId, { lifetimeDays: 90 });
  simulator.control.grantGraphPermissions(tenantId, app.appId, permissions);
  return { clientId: app.appId, clientSecret: secret.secretText, app };
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** What a person does on the simulated sign-in page: pick the account by its UPN and press a button. */
export async function signIn(authorizeUrl: string, upn: string, decision: 'accept' | 'decline' = 'accept') {
  const page = await fetch(authorizeUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  const escaped = upn.replaceAll('.', '\\.');
  const value = new RegExp(`value="([^"]+)"[^>]*>\\s*<span><strong>[^<]*</strong> ${escaped}`).exec(
    html,
  )?.[1];
  expect(value, `account ${upn} on the page`).toBeDefined();
  const form = new URLSearchParams(new URL(authorizeUrl).searchParams);
  form.set('user', value as string);
  form.set('decision', decision);
  const response = await fetch(authorizeUrl.split('?')[0] as string, {
    method: 'POST',
    body: form,
    redirect: 'manual',
  });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location') as string);
}

/** A delegated Graph token for a tenant admin, through the provisioning app and the real auth code flow. */
export async function delegatedToken(
  simulator: Simulator,
  world: SampleWorld,
  upn: string,
  scopes: string[],
) {
  const client = msalClient(
    simulator,
    'organizations',
    world.provisioningApp.clientId,
    world.provisioningApp.clientSecret,
  );
  const { verifier, challenge } = pkce();
  const fullScopes = ['openid', 'profile', ...scopes.map((scope) => `${simulator.graphEndpoint}/${scope}`)];
  const url = await client.getAuthCodeUrl({
    scopes: fullScopes,
    redirectUri,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
  });
  const code = (await signIn(url, upn)).searchParams.get('code') as string;
  const result = await client.acquireTokenByCode({
    code,
    scopes: fullScopes,
    redirectUri,
    codeVerifier: verifier,
  });
  return result.accessToken;
}
