import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { graphCommandLineTools } from '../../sim/directory.js';
import { deviceLoginPath } from '../../sim/entra/device-login.js';
import { type OperatorSample, seedOperator } from '../../sim/sample-world.js';
import { Simulator } from '../../sim/server.js';

let simulator: Simulator;
let operator: OperatorSample;

beforeAll(async () => {
  simulator = await Simulator.start({ certificates: inject('certificates') });
  operator = await seedOperator(simulator);
});
afterAll(() => simulator.stop());

const post = async (path: string, form: Record<string, string>) => {
  const response = await fetch(`${simulator.authorityHost}${path}`, {
    method: 'POST',
    body: new URLSearchParams(form),
  });
  const text = await response.text();
  return { status: response.status, text, body: text.startsWith('{') ? JSON.parse(text) : undefined };
};

const start = (tenant = 'organizations', clientId: string = graphCommandLineTools.appId) =>
  post(`/${tenant}/oauth2/v2.0/devicecode`, { client_id: clientId, scope: 'openid User.Read' });

const poll = (deviceCode: string, tenant = 'organizations', extra: Record<string, string> = {}) =>
  post(`/${tenant}/oauth2/v2.0/token`, {
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    client_id: graphCommandLineTools.appId,
    device_code: deviceCode,
    ...extra,
  });

const approve = (userCode: string, decision = 'accept') =>
  post(deviceLoginPath, { otc: userCode, user: `${operator.tenantId}:${operator.admin.id}`, decision });

describe('simulated Entra device code flow', () => {
  it('hands out a user code and a device code with Microsoft’s fields, then tokens once the person approves', async () => {
    const started = await start();
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({
      verification_uri: `${simulator.authorityHost}${deviceLoginPath}`,
      expires_in: 900,
      interval: 5,
    });
    expect(started.body.user_code).toMatch(/^[A-Z2-9]{9}$/);
    expect(started.body.message).toContain(`enter the code ${started.body.user_code} to authenticate`);
    const pending = await poll(started.body.device_code);
    expect(pending.status).toBe(400);
    expect(pending.body.error).toBe('authorization_pending');
    expect(pending.body.error_codes).toEqual([70016]);

    const page = await post(deviceLoginPath, { otc: started.body.user_code.toLowerCase() });
    expect(page.text).toContain('Microsoft Graph Command Line Tools');
    expect(page.text).toContain(`value="${operator.tenantId}:${operator.admin.id}"`);
    await approve(started.body.user_code);
    const tokens = await poll(started.body.device_code);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: 'User.Read openid' });
    const claims = JSON.parse(Buffer.from(tokens.body.id_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({
      tid: operator.tenantId,
      oid: operator.admin.id,
      aud: graphCommandLineTools.appId,
    });
    const again = await poll(started.body.device_code);
    expect(again.body.error).toBe('bad_verification_code');
  });

  it('answers authorization_declined, expired_token and bad_verification_code as Microsoft documents them', async () => {
    const declined = await start();
    await approve(declined.body.user_code, 'decline');
    expect((await poll(declined.body.device_code)).body.error).toBe('authorization_declined');

    const expiring = await start();
    simulator.deviceCodes.expireAll();
    expect((await poll(expiring.body.device_code)).body).toMatchObject({
      error: 'expired_token',
      error_codes: [70019],
    });
    const late = await approve(expiring.body.user_code);
    expect(late.status).toBe(400);
    expect(late.text).toContain('That code has expired or is not right');

    expect((await poll('not-a-device-code')).body).toMatchObject({
      error: 'bad_verification_code',
      error_codes: [70018],
    });
    const elsewhere = await start(operator.tenantId);
    expect((await poll(elsewhere.body.device_code, 'contoso.example')).body.error).toBe(
      'bad_verification_code',
    );
  });

  it('asks a confidential client for its secret, and refuses an unknown client or tenant', async () => {
    const confidential = simulator.directory.addApplication({
      homeTenantId: operator.tenantId,
      displayName: 'A web app',
    });
    const started = await start('organizations', confidential.appId);
    await approve(started.body.user_code);
    const refused = await post('/organizations/oauth2/v2.0/token', {
      grant_type: 'device_code',
      client_id: confidential.appId,
      device_code: started.body.device_code,
    });
    expect(refused.status).toBe(401);
    expect(refused.body.error_codes).toEqual([7000218]);

    expect((await start('organizations', '00000000-0000-0000-0000-000000000001')).body.error_codes).toEqual([
      700016,
    ]);
    expect((await start('no-such-tenant.example')).body.error_codes).toEqual([90002]);
  });
});
