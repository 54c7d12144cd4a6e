import { ConfidentialClientApplication } from '@azure/msal-node';
import { inject } from 'vitest';
import { type SampleWorld, seedSampleWorld } from '../../sim/sample-world.js';
import { Simulator } from '../../sim/server.js';

export const redirectUri = 'http://localhost:7071/api/onboarding/callback';

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
