import { createHash, createPrivateKey, sign } from 'node:crypto';
import { ConfidentialClientApplication, type ServerError } from '@azure/msal-node';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleWorld } from '../../sim/sample-world.js';
import type { Simulator } from '../../sim/server.js';
import { graphFetch, registerCustomerApp, startSampleSimulator } from './sim-fixture.js';

let simulator: Simulator;
let world: SampleWorld;
let tenantId: string;

beforeAll(async () => {
  ({ simulator, world } = await startSampleSimulator());
  tenantId = world.tenants[0]?.id as string;
});

afterAll(async () => {
  await simulator?.stop();
});

async function certificate() {
  const made = await generate([{ name: 'commonName', value: 'test certificate' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
  });
  const der = Buffer.from(made.cert.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return { pem: made.cert, privateKey: made.private, der };
}

type Certificate = Awaited<ReturnType<typeof certificate>>;

/** MSAL's own certificate credential (PS256, `x5t#S256`), as another client would send it. */
function msalWithCertificate(clientId: string, signingKey: string, registered: Certificate) {
  return new ConfidentialClientApplication({
    auth: {
      clientId,
      authority: `${simulator.authorityHost}/${tenantId}`,
      knownAuthorities: [new URL(simulator.authorityHost).host],
      clientCertificate: {
        thumbprintSha256: createHash('sha256').update(registered.der).digest('hex'),
        privateKey: signingKey,
      },
    },
  });
}

function jwt(header: object, payload: object, privateKey: string, pss: boolean): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = sign(
    'sha256',
    Buffer.from(input),
    pss ? { key: createPrivateKey(privateKey), padding: 6, saltLength: 32 } : createPrivateKey(privateKey),
  );
  return `${input}.${signature.toString('base64url')}`;
}

const tokenEndpoint = () => `${simulator.authorityHost}/${tenantId}/oauth2/v2.0/token`;
const graphScope = () => `${simulator.graphEndpoint}/.default`;

async function tokenWithAssertion(clientId: string, assertion: string) {
  const response = await fetch(tokenEndpoint(), {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      scope: graphScope(),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function assertion(clientId: string, cert: Certificate, overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return jwt(
    { alg: 'PS256', typ: 'JWT', 'x5t#S256': createHash('sha256').update(cert.der).digest('base64url') },
    { aud: tokenEndpoint(), iss: clientId, sub: clientId, jti: 'j', nbf: now, exp: now + 600, ...overrides },
    cert.privateKey,
    true,
  );
}

describe('Entra certificate credentials (client assertions) and addKey', () => {
  it('issues a token for an assertion signed by a registered certificate, as MSAL makes one', async () => {
    const { app, clientId } = registerCustomerApp(simulator, tenantId, ['User.Read.All']);
    const cert = await certificate();
    app.keyCredentials.push(simulator.directory.keyCredential(app, { der: cert.der }));
    const result = await msalWithCertificate(clientId, cert.privateKey, cert).acquireTokenByClientCredential({
      scopes: [graphScope()],
    });
    expect(result?.accessToken).toBeTruthy();
  });

  it('refuses assertions signed by another key, by an unregistered certificate, for another audience, or expired', async () => {
    const { app, clientId } = registerCustomerApp(simulator, tenantId, ['User.Read.All']);
    const cert = await certificate();
    const stranger = await certificate();
    app.keyCredentials.push(simulator.directory.keyCredential(app, { der: cert.der }));

    const forged = await msalWithCertificate(clientId, stranger.privateKey, cert)
      .acquireTokenByClientCredential({ scopes: [graphScope()] })
      .catch((error: ServerError) => error);
    expect(String((forged as ServerError).errorNo)).toBe('700027');
    const unknown = await tokenWithAssertion(clientId, assertion(clientId, stranger));
    expect(unknown.body.error_codes).toEqual([700027]);
    const audience = await tokenWithAssertion(
      clientId,
      assertion(clientId, cert, { aud: 'https://elsewhere.example/token' }),
    );
    expect(audience.body.error_codes).toEqual([700023]);
    const now = Math.floor(Date.now() / 1000);
    const expired = await tokenWithAssertion(
      clientId,
      assertion(clientId, cert, { nbf: now - 1200, exp: now - 600 }),
    );
    expect(expired.body.error_codes).toEqual([700024]);
    const otherClient = await tokenWithAssertion(clientId, assertion('someone-else', cert));
    expect(otherClient.body.error_codes).toEqual([700021]);
    expect((await tokenWithAssertion(clientId, assertion(clientId, cert))).status).toBe(200);
  });

  it('refuses a new certificate while it propagates (AADSTS700027), then accepts it', async () => {
    const { app, clientId } = registerCustomerApp(simulator, tenantId, ['User.Read.All']);
    simulator.control.setPolicies(tenantId, { secretPropagationMs: 400 });
    try {
      const cert = await certificate();
      app.keyCredentials.push(simulator.directory.keyCredential(app, { der: cert.der }));
      expect((await tokenWithAssertion(clientId, assertion(clientId, cert))).body.error_codes).toEqual([
        700027,
      ]);
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect((await tokenWithAssertion(clientId, assertion(clientId, cert))).status).toBe(200);
    } finally {
      simulator.control.setPolicies(tenantId, { secretPropagationMs: 0 });
    }
  });

  it('adds a key only with a proof of possession signed by a current certificate of the app', async () => {
    const { app, clientId } = registerCustomerApp(simulator, tenantId, ['Application.ReadWrite.OwnedBy']);
    const principal = simulator.directory.tenant(tenantId).servicePrincipalByAppId(clientId);
    app.ownerIds.push(principal?.id ?? '');
    const current = await certificate();
    const next = await certificate();
    app.keyCredentials.push(simulator.directory.keyCredential(app, { der: current.der }));
    const token = (await tokenWithAssertion(clientId, assertion(clientId, current))).body
      .access_token as string;
    const graph = graphFetch(simulator, token);
    const now = Math.floor(Date.now() / 1000);
    const proof = (signer: Certificate, claims: Record<string, unknown> = {}, withKid = true) =>
      jwt(
        {
          alg: 'RS256',
          typ: 'JWT',
          x5t: createHash('sha1').update(signer.der).digest('base64url'),
          ...(withKid ? { kid: createHash('sha1').update(signer.der).digest('hex').toUpperCase() } : {}),
        },
        { aud: '00000002-0000-0000-c000-000000000000', iss: app.id, nbf: now, exp: now + 600, ...claims },
        signer.privateKey,
        false,
      );
    const addKey = (body: Record<string, unknown>) =>
      graph(`/applications/${app.id}/addKey`, {
        method: 'POST',
        body: JSON.stringify({
          keyCredential: { type: 'AsymmetricX509Cert', usage: 'Verify', key: next.der.toString('base64') },
          passwordCredential: null,
          ...body,
        }),
      });
    expect((await addKey({})).status).toBe(400);
    expect((await addKey({ proof: proof(next) })).status).toBe(400);
    expect((await addKey({ proof: proof(current, { iss: clientId }) })).status).toBe(400);
    expect((await addKey({ proof: proof(current, { exp: now + 3600 }) })).status).toBe(400);
    // Without the kid header of Microsoft's sample (the SHA-1 thumbprint, hex).
    expect((await addKey({ proof: proof(current, {}, false) })).body.error.message).toContain('(kid)');
    expect(app.keyCredentials).toHaveLength(1);
    const added = await addKey({ proof: proof(current) });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ type: 'AsymmetricX509Cert', usage: 'Verify', key: null });
    expect(app.keyCredentials).toHaveLength(2);

    const removed = await graph(`/applications/${app.id}/removeKey`, {
      method: 'POST',
      body: JSON.stringify({ keyId: app.keyCredentials[0]?.keyId, proof: proof(next) }),
    });
    expect(removed.status).toBe(204);
    expect(app.keyCredentials.map((key) => key.keyId)).toEqual([added.body.keyId]);
  });
});
