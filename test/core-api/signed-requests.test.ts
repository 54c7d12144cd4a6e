import { describe, expect, it } from 'vitest';
import { requestSigningSecretsName } from '../../src/lib/core-api/signing-secrets.js';
import { signRequest } from '../../src/lib/security/webhook-signature.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { type ConnectorFixture, newWebhookSecret } from '../support/connector-fixture.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();

const invitation = {
  customer: { reference: 'CUST-001', name: 'Contoso Telecom Customer' },
  services: [{ id: 'dr-london', name: 'Direct Routing London' }],
  licenceType: 'HostedPro',
  automaticDns: true,
  site: { siteId: 'site-1', label: 'contoso', usageLocation: 'GB' },
  method: 'either',
};

const snapshot = async () => [
  await connector.count(tableNames.invitations),
  await connector.count(tableNames.coreRequestIds),
];

/** Makes a call that must be refused: the status, a problem without secrets or traces, and nothing written. */
async function expectRefused(
  call: () => ReturnType<ConnectorFixture['call']>,
  status: number,
  code?: string,
) {
  const before = await snapshot();
  const response = await call();
  expect(await snapshot()).toEqual(before);
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.body).toMatchObject({
    status,
    title: expect.any(String),
    type: expect.stringContaining('urn:m365-connector:problem:'),
  });
  if (code) expect(response.body.type).toBe(`urn:m365-connector:problem:${code}`);
  expect(JSON.stringify(response.body)).not.toMatch(/whsec_|at \w+ \(|Error:/);
  return response;
}

const now = () => new Date();

describe('signed core requests: refusals', () => {
  it.each([['webhook-id'], ['webhook-timestamp'], ['webhook-signature']])(
    'refuses a request without %s',
    async (header) => {
      const response = await expectRefused(
        () => connector.call('POST', '/invitations', { body: invitation, headers: { [header]: undefined } }),
        401,
        'signature_missing',
      );
      expect(response.body.detail).toContain(header);
    },
  );

  it.each([
    ['an id with a space', { 'webhook-id': 'msg 1' }],
    ['a timestamp that is not a number', { 'webhook-timestamp': '12abc' }],
    ['a timestamp in milliseconds', { 'webhook-timestamp': String(Date.now() * 1000) }],
    ['a signature without a version', { 'webhook-signature': 'c2lnbmF0dXJl' }],
    ['a signature that is not base64', { 'webhook-signature': 'v1,not base64!' }],
  ])('refuses %s as malformed', async (_, headers) => {
    const response = await expectRefused(
      () => connector.call('POST', '/invitations', { body: invitation, headers }),
      401,
    );
    expect(
      ['signature_malformed', 'signature_from_future'].map((code) => `urn:m365-connector:problem:${code}`),
    ).toContain(response.body.type);
  });

  it('refuses a timestamp more than five minutes old', async () => {
    await expectRefused(
      () =>
        connector.call('POST', '/invitations', {
          body: invitation,
          timestamp: new Date(Date.now() - 301_000),
        }),
      401,
      'signature_expired',
    );
  });

  it('refuses a timestamp more than five minutes ahead', async () => {
    await expectRefused(
      () =>
        connector.call('POST', '/invitations', {
          body: invitation,
          timestamp: new Date(Date.now() + 301_000),
        }),
      401,
      'signature_from_future',
    );
  });

  it('refuses a body changed after signing', async () => {
    const signedOriginal = signRequest(
      connector.requestSecrets[0] as string,
      'msg_changed_body',
      JSON.stringify(invitation),
      now(),
    );
    await expectRefused(
      () =>
        connector.call('POST', '/invitations', {
          body: { ...invitation, licenceType: 'HostedEssentialsPlus' },
          headers: signedOriginal,
        }),
      401,
      'signature_mismatch',
    );
  });

  it('refuses a signed request with an empty body (as a GET is signed) sent as a removal: the body must name what it removes', async () => {
    const { tenantId } = await selfManagedTenant(connector, { quiet: true });
    const signedLikeAGet = signRequest(connector.requestSecrets[0] as string, 'msg_get_as_delete', '', now());
    const replayed = await connector.call('DELETE', `/tenants/${tenantId}`, { headers: signedLikeAGet });
    expect(replayed.status).toBe(400);
    expect(replayed.body.errors).toEqual([{ pointer: '/body', detail: expect.any(String) }]);
    const elsewhere = await connector.call('DELETE', `/tenants/${tenantId}`, {
      body: { tenantId: '00000000-0000-4000-8000-000000000000' },
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.errors).toEqual([
      { pointer: '/body/tenantId', detail: 'must repeat the tenantId of the path' },
    ]);
    expect((await connector.call('GET', `/tenants/${tenantId}`)).body.status).toBe('active');
  });

  it('accepts a signature list where one entry is valid, and refuses one where none is', async () => {
    const valid = await connector.call('GET', '/invitations?top=1');
    expect(valid.status).toBe(200);
    const body = JSON.stringify(invitation);
    const good = signRequest(connector.requestSecrets[0] as string, 'msg_list_1', body, now());
    const bad = signRequest(newWebhookSecret(), 'msg_list_1', body, now());
    const accepted = await connector.call('POST', '/invitations', {
      body,
      headers: {
        ...good,
        'webhook-signature': `${bad['webhook-signature']} v2,AAAA ${good['webhook-signature']}`,
      },
    });
    expect(accepted.status).toBe(201);
    await connector.call('DELETE', `/invitations/${accepted.body.id}`, { body: { id: accepted.body.id } });
    const bad2 = signRequest(newWebhookSecret(), 'msg_list_2', body, now());
    const refused = await connector.call('POST', '/invitations', {
      body,
      headers: { ...bad2, 'webhook-signature': `${bad2['webhook-signature']} ${bad['webhook-signature']}` },
    });
    expect(refused.status).toBe(401);
    expect(refused.body.type).toBe('urn:m365-connector:problem:signature_mismatch');
  });

  it('refuses a truncated signature', async () => {
    const body = JSON.stringify(invitation);
    const signed = signRequest(connector.requestSecrets[0] as string, 'msg_truncated', body, now());
    const truncated = signed['webhook-signature']?.slice(0, 20) as string;
    await expectRefused(
      () =>
        connector.call('POST', '/invitations', {
          body,
          headers: { ...signed, 'webhook-signature': truncated },
        }),
      401,
    );
  });

  it('refuses an oversized body with 413 before checking any signature', async () => {
    await expectRefused(
      () =>
        connector.call('POST', '/invitations', {
          body: JSON.stringify({ ...invitation, padding: 'x'.repeat(70 * 1024) }),
          headers: { 'webhook-signature': 'v1,AAAA' },
        }),
      413,
      'body_too_large',
    );
  });

  it('refuses a request without the function key (authLevel function)', async () => {
    const response = await connector.call('GET', '/invitations', { key: null });
    expect(response.status).toBe(401);
  });
});

describe('signed core requests: replays and rotation', () => {
  it('refuses a replayed webhook-id, also when replayed to another endpoint, and writes nothing more', async () => {
    const first = await connector.call('POST', '/invitations', { body: invitation, id: 'msg_replay_1' });
    expect(first.status).toBe(201);
    const before = await connector.count(tableNames.invitations);
    await expectRefused(
      () => connector.call('POST', '/invitations', { body: invitation, id: 'msg_replay_1' }),
      401,
      'replayed',
    );
    await expectRefused(() => connector.call('GET', '/invitations', { id: 'msg_replay_1' }), 401, 'replayed');
    expect(await connector.count(tableNames.invitations)).toBe(before);
    await connector.call('DELETE', `/invitations/${first.body.id}`, { body: { id: first.body.id } });
  });

  it('accepts every listed secret during a rotation, and refuses a retired one afterwards', async () => {
    const [oldSecret, newSecret] = connector.requestSecrets as [string, string];
    expect((await connector.call('GET', '/invitations', { secret: oldSecret })).status).toBe(200);
    expect((await connector.call('GET', '/invitations', { secret: newSecret })).status).toBe(200);
    connector.simulator.vaults.get('connector')?.vault.put(requestSigningSecretsName, { value: newSecret });
    expect((await connector.call('GET', '/invitations', { secret: newSecret })).status).toBe(200);
    await expectRefused(
      () => connector.call('GET', '/invitations', { secret: oldSecret }),
      401,
      'signature_mismatch',
    );
    connector.simulator.vaults
      .get('connector')
      ?.vault.put(requestSigningSecretsName, { value: connector.requestSecrets.join(' ') });
  });
});

describe('signed core requests: bodies', () => {
  it.each([
    ['an empty body', ''],
    ['a body that is not JSON', 'customer=contoso'],
  ])('answers %s with a validly signed 400 problem and writes nothing', async (_, body) => {
    const before = await connector.count(tableNames.invitations);
    const response = await connector.call('POST', '/invitations', { body });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body.errors[0].pointer).toBe('/body');
    expect(await connector.count(tableNames.invitations)).toBe(before);
  });
});

describe('secrets stay secret', () => {
  it('never writes a signing secret to the log, whatever was refused above', () => {
    const log = connector.logs.join('\n');
    expect(log.length).toBeGreaterThan(0);
    for (const secret of connector.requestSecrets) {
      expect(log).not.toContain(secret);
      expect(log).not.toContain(secret.slice('whsec_'.length));
    }
    expect(log).not.toContain(connector.eventSecret.slice('whsec_'.length));
  });
});
