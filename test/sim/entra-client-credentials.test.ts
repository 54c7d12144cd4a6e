import { ServerError } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleWorld } from '../../sim/sample-world.js';
import type { Simulator } from '../../sim/server.js';
import { claimsOf, msalClient, registerCustomerApp, startSampleSimulator } from './sim-fixture.js';

let simulator: Simulator;
let world: SampleWorld;
let customerTenant: string;

beforeAll(async () => {
  ({ simulator, world } = await startSampleSimulator());
  customerTenant = world.tenants[0]?.id as string;
});

afterAll(async () => {
  await simulator?.stop();
});

const acquire = (tenant: string, clientId: string, secret: string) =>
  msalClient(simulator, tenant, clientId, secret).acquireTokenByClientCredential({
    scopes: [`${simulator.graphEndpoint}/.default`],
  });

async function entraErrorOf(promise: Promise<unknown>): Promise<ServerError> {
  try {
    await promise;
  } catch (error) {
    return error as ServerError;
  }
  throw new Error('expected the token request to fail');
}

describe('Entra client credentials through msal-node', () => {
  it('issues an RS256 app-only token, v1.0-shaped as Graph takes them, with tid, oid, aud and the granted roles', async () => {
    const app = registerCustomerApp(simulator, customerTenant, ['User.Read.All', 'Group.Read.All']);
    const result = await acquire(customerTenant, app.clientId, app.clientSecret);
    expect(result?.tokenType).toBe('Bearer');
    const [header] = (result?.accessToken ?? '').split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toMatchObject({
      alg: 'RS256',
      typ: 'JWT',
    });
    const claims = claimsOf(result?.accessToken ?? '');
    expect(claims).toMatchObject({
      tid: customerTenant,
      aud: simulator.graphEndpoint,
      appid: app.clientId,
      idtyp: 'app',
      // Graph takes v1.0 access tokens: that issuer and version, whichever endpoint issued them.
      iss: `https://sts.windows.net/${customerTenant}/`,
      ver: '1.0',
    });
    expect(claims.roles).toEqual(['User.Read.All', 'Group.Read.All']);
    expect(claims.oid).toBe(
      simulator.directory.tenant(customerTenant).servicePrincipalByAppId(app.clientId)?.id,
    );
    expect(Number(claims.exp)).toBeGreaterThan(Date.now() / 1000 + 3000);
  });

  it('addresses the tenant by verified domain too', async () => {
    const app = registerCustomerApp(simulator, customerTenant, []);
    const result = await acquire(world.tenants[0]?.domain as string, app.clientId, app.clientSecret);
    expect(claimsOf(result?.accessToken ?? '').tid).toBe(customerTenant);
  });

  it.each([
    ['a wrong secret', 'invalid_client', '7000215'],
    ['an expired secret', 'invalid_client', '7000222'],
    ['an app unknown in the tenant', 'unauthorized_client', '700016'],
  ])('refuses %s with the Entra error code', async (situation, errorCode, errorNo) => {
    const app = registerCustomerApp(simulator, customerTenant, []);
    let tenant = customerTenant;
    let secret = app.clientSecret;
    if (situation === 'a wrong secret') secret = 'not-the-secret';
    if (situation === 'an expired secret') simulator.control.expireSecret(app.clientId);
    if (situation === 'an app unknown in the tenant') tenant = world.tenants[1]?.id as string;
    const error = await entraErrorOf(acquire(tenant, app.clientId, secret));
    expect(error).toBeInstanceOf(ServerError);
    expect(error.errorCode).toBe(errorCode);
    expect(error.errorMessage).toContain(`AADSTS${errorNo}`);
  });

  it('answers an unknown tenant with AADSTS90002, which MSAL meets first in the OIDC metadata', async () => {
    const app = registerCustomerApp(simulator, customerTenant, []);
    const unknown = '11111111-2222-3333-4444-555555555555';
    const error = await entraErrorOf(acquire(unknown, app.clientId, app.clientSecret));
    expect((error as unknown as { errorCode: string }).errorCode).toBe('endpoints_resolution_error');
    const metadata = await fetch(
      `${simulator.authorityHost}/${unknown}/v2.0/.well-known/openid-configuration`,
    );
    expect(metadata.status).toBe(400);
    const token = await fetch(`${simulator.authorityHost}/${unknown}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret,
        scope: `${simulator.graphEndpoint}/.default`,
      }),
    });
    expect(token.status).toBe(400);
    expect(await token.json()).toMatchObject({ error: 'invalid_request', error_codes: [90002] });
  });

  it('refuses a new secret until it has propagated, then accepts it', async () => {
    simulator.control.setPolicies(customerTenant, { secretPropagationMs: 400 });
    const app = registerCustomerApp(simulator, customerTenant, []);
    const error = await entraErrorOf(acquire(customerTenant, app.clientId, app.clientSecret));
    expect(error.errorMessage).toContain('AADSTS7000215');
    await new Promise((resolve) => setTimeout(resolve, 450));
    await expect(acquire(customerTenant, app.clientId, app.clientSecret)).resolves.toMatchObject({
      tokenType: 'Bearer',
    });
    simulator.control.setPolicies(customerTenant, { secretPropagationMs: 0 });
  });

  it('refuses a revoked consent: the app is no longer in the tenant', async () => {
    const app = registerCustomerApp(simulator, customerTenant, ['User.Read.All']);
    await acquire(customerTenant, app.clientId, app.clientSecret);
    simulator.control.revokeConsent(customerTenant, app.clientId);
    const error = await entraErrorOf(
      msalClient(simulator, customerTenant, app.clientId, app.clientSecret).acquireTokenByClientCredential({
        scopes: [`${simulator.graphEndpoint}/.default`],
        skipCache: true,
      }),
    );
    expect(error.errorMessage).toContain('AADSTS700016');
  });
});
