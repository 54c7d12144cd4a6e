import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';
import { provisioningAppUniqueName } from '../../cli/setup/provisioning-app-setup.js';
import { graphCommandLineTools, type SimApplication } from '../../sim/directory.js';
import { deviceLoginPath } from '../../sim/entra/device-login.js';
import { graphDelegatedScopes, roles } from '../../sim/graph/graph-permissions.js';
import { type OperatorSample, seedOperator } from '../../sim/sample-world.js';
import { Simulator } from '../../sim/server.js';
import { eventSigningSecretName, requestSigningSecretsName } from '../../src/lib/core-api/signing-secrets.js';
import { provisioningSecretName } from '../../src/lib/onboarding/automatic/provisioning-sign-in.js';
import { signInRedirectUri } from '../../src/lib/onboarding/onboarding-urls.js';

const publicBaseUrl = 'https://connector.example.net';
const emptyDir = mkdtempSync(join(tmpdir(), 'setup-cli-'));
let simulator: Simulator;
let operator: OperatorSample;

beforeAll(async () => {
  simulator = await Simulator.start({ certificates: inject('certificates') });
  simulator.deviceCodes.intervalSeconds = 1;
  operator = await seedOperator(simulator);
});
afterAll(() => simulator.stop());

const vault = () => simulator.vaults.get('connector')?.vault;
const storedSecret = (name: string) => vault()?.secrets.get(name)?.versions.at(-1)?.value;
const versionsOf = (name: string) => vault()?.secrets.get(name)?.versions.length ?? 0;
const forget = (name: string) => vault()?.secrets.delete(name);
const provisioningApp = (): SimApplication | undefined =>
  [...simulator.directory.applications.values()].find(
    (app) => app.homeTenantId === operator.tenantId && app.uniqueName === provisioningAppUniqueName,
  );

/** What the person at the browser does with the code the command shows: sign in as `userId`, then accept or cancel. */
async function approveDeviceCode(message: string, userId: string, decision: 'accept' | 'decline') {
  const code = /enter the code (\S+) to authenticate/.exec(message)?.[1];
  if (!code) throw new Error(`no code in ${message}`);
  const page = `${simulator.authorityHost}${deviceLoginPath}`;
  const picker = await fetch(page, { method: 'POST', body: new URLSearchParams({ otc: code }) });
  expect(await picker.text()).toContain(graphCommandLineTools.displayName);
  const done = await fetch(page, {
    method: 'POST',
    body: new URLSearchParams({ otc: code, user: `${operator.tenantId}:${userId}`, decision }),
  });
  return done.text();
}

/** Runs the CLI as the operator would, answering the device-code prompt as `as` (the operator's admin by default). */
async function setup(
  args: string[],
  options: { env?: Record<string, string>; as?: string; decision?: 'accept' | 'decline' } = {},
) {
  let out = '';
  let err = '';
  let approval: Promise<string> | undefined;
  const code = await runCli(['setup', ...args], {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
      if (text.includes('enter the code'))
        approval = approveDeviceCode(text, options.as ?? operator.admin.id, options.decision ?? 'accept');
    },
    env: {
      AUTHORITY_HOST: simulator.authorityHost,
      GRAPH_ENDPOINT: simulator.graphEndpoint,
      KEY_VAULT_URL: operator.keyVaultUrl,
      PUBLIC_BASE_URL: publicBaseUrl,
      AZURE_TENANT_ID: operator.tenantId,
      AZURE_CLIENT_ID: operator.connectorIdentity.clientId,
      AZURE_CLIENT_SECRET: operator.connectorIdentity.clientSecret,
      ...options.env,
    },
    cwd: emptyDir,
  });
  return { code, out, err, page: await approval };
}

const graphScopeId = (value: string) => graphDelegatedScopes.find((scope) => scope.value === value)?.id;

describe('npm run cli -- setup provisioning-app', () => {
  beforeEach(() => {
    const app = provisioningApp();
    if (app) simulator.directory.applications.delete(app.appId);
    forget(provisioningSecretName);
  });

  it('signs the operator in by device code and creates the multi-tenant app the connector signs admins in with', async () => {
    const { code, out, err, page } = await setup(['provisioning-app']);
    expect(code, `${err}|${out}|${page}`).toBe(0);
    expect(err).toContain(`${simulator.authorityHost}${deviceLoginPath}`);
    expect(page).toContain(`as ${operator.admin.userPrincipalName}`);
    const app = provisioningApp() as SimApplication;
    expect(app.signInAudience).toBe('AzureADMultipleOrgs');
    expect(app.redirectUris).toEqual([signInRedirectUri(publicBaseUrl)]);
    expect(app.groupMembershipClaims).toBe('DirectoryRole');
    const graphAccess = app.requiredResourceAccess.find((entry) =>
      entry.resourceAppId.startsWith('00000003'),
    );
    expect(graphAccess?.resourceAccess).toEqual(
      [
        'openid',
        'profile',
        'User.Read',
        'Application.ReadWrite.All',
        'Directory.Read.All',
        'AppRoleAssignment.ReadWrite.All',
        'RoleManagement.ReadWrite.Directory',
      ].map((value) => ({ id: graphScopeId(value), type: 'Scope' })),
    );
    expect(app.passwordCredentials).toHaveLength(1);
    const secret = storedSecret(provisioningSecretName);
    expect(secret).toBe(app.passwordCredentials[0]?.secretText);
    expect(simulator.directory.tenant(operator.tenantId).servicePrincipalByAppId(app.appId)).toBeDefined();
    expect(out).toContain(`Signed in as ${operator.admin.userPrincipalName}`);
    expect(out).toContain(`App: created Live Platform Provisioning (${app.appId}).`);
    expect(out).toMatch(/\n {2}PROVISIONING_CLIENT_ID=[0-9a-f-]{36}\n$/);
    expect(out).toContain(`PROVISIONING_CLIENT_ID=${app.appId}`);
    expect(`${out}${err}`).not.toContain(secret);
  });

  it('gives a customer admin who signs in with it an ID token with their directory roles, redeemed with the stored secret', async () => {
    await setup(['provisioning-app']);
    const app = provisioningApp() as SimApplication;
    const customer = simulator.control.generateTenant({
      displayName: 'Fabrikam',
      domain: 'fabrikam-setup.example',
      seed: 7,
      sizes: { users: 3 },
      admins: [{ displayName: 'Fabrikam Admin', alias: 'fadmin', roles: ['globalAdministrator'] }],
    });
    const admin = [...simulator.directory.tenant(customer.id).users.values()].find((user) =>
      user.userPrincipalName.startsWith('fadmin@'),
    ) as { id: string };
    const msal = new ConfidentialClientApplication({
      auth: {
        clientId: app.appId,
        clientSecret: storedSecret(provisioningSecretName) as string,
        authority: `${simulator.authorityHost}/organizations`,
        knownAuthorities: [new URL(simulator.authorityHost).host],
      },
    });
    const redirectUri = signInRedirectUri(publicBaseUrl);
    const scopes = ['openid', 'profile', `${simulator.graphEndpoint}/Application.ReadWrite.All`];
    const authorize = new URL(await msal.getAuthCodeUrl({ scopes, redirectUri }));
    const answer = await fetch(authorize, {
      method: 'POST',
      body: new URLSearchParams({
        ...Object.fromEntries(authorize.searchParams),
        user: `${customer.id}:${admin.id}`,
        decision: 'accept',
      }),
      redirect: 'manual',
    });
    const codeParam = new URL(answer.headers.get('location') ?? '').searchParams.get('code');
    expect(codeParam).toBeTruthy();
    const result = await msal.acquireTokenByCode({ code: codeParam as string, scopes, redirectUri });
    expect((result.idTokenClaims as { wids?: string[] }).wids).toContain(roles.globalAdministrator);
  });

  it('changes nothing when run again, and repairs only what drifted', async () => {
    await setup(['provisioning-app']);
    const app = provisioningApp() as SimApplication;
    const before = JSON.stringify(app);
    const versions = versionsOf(provisioningSecretName);
    const again = await setup(['provisioning-app']);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain(`Live Platform Provisioning (${app.appId}) is as the connector needs it`);
    expect(again.out).toContain(`the client secret in Key Vault (${provisioningSecretName}) is good`);
    expect(JSON.stringify(provisioningApp())).toBe(before);
    expect(versionsOf(provisioningSecretName)).toBe(versions);

    app.groupMembershipClaims = 'None';
    app.redirectUris = ['https://staging.example.net/api/callback/sign-in'];
    const graphAccess = app.requiredResourceAccess[0];
    if (graphAccess) graphAccess.resourceAccess = graphAccess.resourceAccess.slice(0, 2);
    const repaired = await setup(['--json', 'provisioning-app']);
    const report = JSON.parse(repaired.out);
    expect(report.changed.sort()).toEqual(['groupMembershipClaims', 'requiredResourceAccess', 'web']);
    expect(report.secret).toBe('kept');
    expect(report.otherRedirectUris).toEqual(['https://staging.example.net/api/callback/sign-in']);
    expect(app.redirectUris).toEqual([
      'https://staging.example.net/api/callback/sign-in',
      signInRedirectUri(publicBaseUrl),
    ]);
    expect(app.groupMembershipClaims).toBe('DirectoryRole');
    expect(app.requiredResourceAccess[0]?.resourceAccess).toHaveLength(7);
    expect(app.passwordCredentials).toHaveLength(1);
  });

  it('adds a new secret on --rotate-secret, or when the stored one ends within 30 days, and keeps the old one working', async () => {
    await setup(['provisioning-app']);
    const app = provisioningApp() as SimApplication;
    const first = app.passwordCredentials[0];
    const rotated = await setup(['provisioning-app', '--rotate-secret']);
    expect(rotated.code, rotated.err).toBe(0);
    expect(app.passwordCredentials).toHaveLength(2);
    const second = app.passwordCredentials[1];
    expect(storedSecret(provisioningSecretName)).toBe(second?.secretText);
    expect(rotated.out).toContain(`az ad app credential delete --id ${app.appId} --key-id ${first?.keyId}`);

    if (second) second.endDateTime = new Date(Date.now() + 10 * 86_400_000);
    const renewed = JSON.parse((await setup(['--json', 'provisioning-app'])).out);
    expect(renewed.secret).toBe('replaced');
    expect(storedSecret(provisioningSecretName)).toBe(app.passwordCredentials[2]?.secretText);
  });

  it('replaces a stored secret the app no longer has', async () => {
    await setup(['provisioning-app']);
    const app = provisioningApp() as SimApplication;
    app.passwordCredentials.splice(0);
    const report = JSON.parse((await setup(['--json', 'provisioning-app'])).out);
    expect(report.secret).toBe('replaced');
    expect(report.supersededKeyId).toBeUndefined();
    expect(storedSecret(provisioningSecretName)).toBe(app.passwordCredentials[0]?.secretText);
  });

  it('says so and changes nothing when the sign-in is declined', async () => {
    const declined = await setup(['provisioning-app'], { decision: 'decline' });
    expect(declined.code).toBe(1);
    expect(declined.err).toContain('The sign-in was declined.');
    expect(provisioningApp()).toBeUndefined();
    expect(storedSecret(provisioningSecretName)).toBeUndefined();
  });

  it('tells an account without an app administrator role what it needs, whether or not an admin consented before', async () => {
    const tenant = simulator.directory.tenant(operator.tenantId);
    const user = simulator.control.addUser(operator.tenantId, { displayName: 'Someone', alias: 'someone' });
    tenant.delegatedConsents.delete(graphCommandLineTools.appId);
    const unconsented = await setup(['provisioning-app'], { as: user.id });
    expect(unconsented.code).toBe(1);
    expect(unconsented.page).toContain('AADSTS90094');
    expect(unconsented.err).toContain('The sign-in was declined.');
    tenant.delegatedConsents.set(graphCommandLineTools.appId, new Set(['Application.ReadWrite.All']));
    const consented = await setup(['provisioning-app'], { as: user.id });
    expect(consented.code).toBe(1);
    expect(consented.err).toContain(
      'Your account may not manage app registrations: sign in as an Application Administrator, a Cloud Application Administrator or a Global Administrator.',
    );
    expect(provisioningApp()).toBeUndefined();
    expect(storedSecret(provisioningSecretName)).toBeUndefined();
  });

  it('names what is missing before anyone is asked to sign in', async () => {
    const result = await setup(['provisioning-app'], { env: { PUBLIC_BASE_URL: '' } });
    expect(result.code).toBe(1);
    expect(result.err).toContain('Missing --public-base-url or PUBLIC_BASE_URL');
    expect(result.err).not.toContain('enter the code');
    const noVault = await setup(['provisioning-app'], { env: { KEY_VAULT_URL: '' } });
    expect(noVault.err).toContain('Missing --vault-url or KEY_VAULT_URL');
  });
});

describe('npm run cli -- setup signing-secrets', () => {
  beforeEach(() => {
    forget(requestSigningSecretsName);
    forget(eventSigningSecretName);
  });

  const accepted = () => (storedSecret(requestSigningSecretsName) ?? '').split(' ');

  it('creates both secrets, says where the core finds them and prints no value unless asked', async () => {
    const { code, out, err } = await setup(['signing-secrets']);
    expect(code, err).toBe(0);
    const [request] = accepted();
    const event = storedSecret(eventSigningSecretName) as string;
    expect(request).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(event).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(out).toContain('Requests (core to connector): created; the connector accepts 1 secret.');
    expect(out).toContain(`--name ${requestSigningSecretsName} --query value -o tsv`);
    expect(out).not.toContain(request);
    expect(out).not.toContain(event);
    const revealed = await setup(['signing-secrets', '--reveal']);
    expect(revealed.out).toContain('Requests (core to connector): kept');
    expect(revealed.out).toContain(`The core signs with: ${request}`);
    expect(revealed.out).toContain(`The core verifies with: ${event}`);
  });

  it('rotates with an overlap: the new secret first and the old one still accepted, until --retire-old', async () => {
    await setup(['signing-secrets']);
    const [old] = accepted();
    const rotated = await setup(['--json', 'signing-secrets', '--rotate']);
    expect(JSON.parse(rotated.out)).toMatchObject({ requestSecrets: 'rotated', acceptedRequestSecrets: 2 });
    expect(accepted()).toHaveLength(2);
    expect(accepted()[1]).toBe(old);
    const [current] = accepted();
    expect(current).not.toBe(old);
    const retired = await setup(['signing-secrets', '--retire-old']);
    expect(retired.out).toContain('retired; the connector accepts 1 secret.');
    expect(accepted()).toEqual([current]);
    const both = await setup(['signing-secrets', '--rotate', '--retire-old']);
    expect(both.code).toBe(1);
    expect(accepted()).toEqual([current]);
  });

  it('says what the operator needs when Key Vault refuses them, and writes nothing', async () => {
    const stranger = simulator.directory.addApplication({
      homeTenantId: operator.tenantId,
      displayName: 'Not allowed on the vault',
    });
    const password = simulator.directory.addPassword(stranger.appId, { lifetimeDays: 1 });
    const refused = await setup(['signing-secrets'], {
      env: {
        AZURE_CLIENT_ID: stranger.appId,
        AZURE_CLIENT_SECRET: password.secretText,
        SETUP_ROLE_WAIT_SECONDS: '2',
      },
    });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('A new role assignment takes a few minutes to apply: asking again');
    expect(refused.err).toContain(
      'Key Vault refused access: your account needs Key Vault Secrets Officer on the vault',
    );
    expect(storedSecret(requestSigningSecretsName)).toBeUndefined();
    expect(storedSecret(eventSigningSecretName)).toBeUndefined();
  });

  it('waits out a role assignment that is still applying, saying so, then does its work', async () => {
    const newcomer = simulator.directory.addApplication({
      homeTenantId: operator.tenantId,
      displayName: 'Vault role being assigned',
    });
    const password = simulator.directory.addPassword(newcomer.appId, { lifetimeDays: 1 });
    const applied = setTimeout(() => vault()?.allowedAppIds.add(newcomer.appId), 1500);
    try {
      const result = await setup(['signing-secrets'], {
        env: {
          AZURE_CLIENT_ID: newcomer.appId,
          AZURE_CLIENT_SECRET: password.secretText,
          SETUP_ROLE_WAIT_SECONDS: '30',
        },
      });
      expect(result.code).toBe(0);
      expect(result.err.match(/Key Vault refused access \(403\)/g)).toHaveLength(1);
      expect(storedSecret(requestSigningSecretsName)).toMatch(/^whsec_/);
    } finally {
      clearTimeout(applied);
      vault()?.allowedAppIds.delete(newcomer.appId);
    }
  });

  it('refuses a role wait that is not a number of seconds', async () => {
    const result = await setup(['signing-secrets'], { env: { SETUP_ROLE_WAIT_SECONDS: 'soon' } });
    expect(result.code).toBe(1);
    expect(result.err).toContain('SETUP_ROLE_WAIT_SECONDS must be a number of seconds');
  });

  it('replaces the event secret only when asked', async () => {
    await setup(['signing-secrets']);
    const event = storedSecret(eventSigningSecretName);
    await setup(['signing-secrets']);
    expect(storedSecret(eventSigningSecretName)).toBe(event);
    const rotated = JSON.parse((await setup(['--json', 'signing-secrets', '--rotate-event-secret'])).out);
    expect(rotated.eventSecretChange).toBe('rotated');
    expect(storedSecret(eventSigningSecretName)).not.toBe(event);
    expect(rotated.eventSecret).toBeUndefined();
  });
});
