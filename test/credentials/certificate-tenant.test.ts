import { describe, expect, it } from 'vitest';
import type { SimApplication } from '../../sim/directory.js';
import { tenantCertificateName } from '../../src/lib/secrets/tenant-certificates.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { certificateTenant, onboardBySignIn } from '../support/certificate-tenant.js';
import { until } from '../support/eventually.js';
import { replicationRun } from '../support/replication-run.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { tenantWithAdmin } from '../support/tenant-with-admin.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();
let seed = 4700;

const vault = () => connector.simulator.vaults.get('connector')?.vault;

const replicates = (tenantId: string) => replicationRun(connector, tenantId);

const onboard = (path: string, upn: string) => onboardBySignIn(connector, path, upn);

const invite = (body: Record<string, unknown> = {}) =>
  connector.call('POST', '/invitations', {
    body: {
      customer: { reference: 'C-CERT', name: 'Certificate Customer' },
      services: [
        { id: 'dr-london', name: 'Direct Routing London' },
        { id: 'dr-paris', name: 'Direct Routing Paris' },
      ],
      licenceType: 'HostedPro',
      method: 'automatic',
      ...body,
    },
  });

describe('a tenant on certificates instead of client secrets', () => {
  it('whose policy forbids passwords onboards with a Key Vault certificate per service and replicates; no private key leaves the vault', async () => {
    const { id: tenantId, admin } = tenantWithAdmin(connector, {
      name: 'No Secrets Co',
      alias: 'nos',
      seed: ++seed,
    });
    connector.simulator.control.setPolicies(tenantId, { passwordsForbidden: true });
    const invitation = await invite();
    expect(invitation.status).toBe(201);
    expect(invitation.body.credential).toBe('secret');

    const page = await onboard(new URL(invitation.body.url).pathname, admin);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Ready: the connection works and holds what it needs.');
    const view = (await connector.call('GET', `/tenants/${tenantId}`)).body;
    expect(view.status).toBe('active');
    const app = connector.simulator.directory.applications.get(view.clientId) as SimApplication;
    expect(app.passwordCredentials).toEqual([]);
    expect(app.keyCredentials.map((key) => key.displayName).sort()).toEqual([
      'Live Platform service dr-london',
      'Live Platform service dr-paris',
    ]);
    const privateKeys: string[] = [];
    for (const serviceId of ['dr-london', 'dr-paris']) {
      const certificate = vault()?.certificates.get(tenantCertificateName(tenantId, serviceId));
      const version = certificate?.versions.at(-1);
      expect(version?.policy.key_props?.exportable).toBe(false);
      expect(app.keyCredentials.some((key) => version && key.der.equals(version.der))).toBe(true);
      const pem = String(version?.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      privateKeys.push(pem.split('\n').slice(1, 3).join(''));
    }

    expect(await replicates(tenantId)).toBe('completed');
    const changes = await connector.call('GET', `/tenants/${tenantId}/changes`);
    expect(changes.status).toBe(200);
    expect(changes.body.value.length).toBeGreaterThan(0);

    const everything = JSON.stringify([
      await connector.rows(tableNames.tenants),
      await connector.rows(tableNames.audit),
      connector.standIn.events,
      connector.logs,
      page.html,
      view,
    ]);
    expect(everything).not.toMatch(/PRIVATE KEY/);
    for (const key of privateKeys) expect(everything).not.toContain(key);
  }, 90_000);

  it('chosen in the invitation: the services get certificates even where secrets are allowed', async () => {
    const { id: tenantId, admin } = tenantWithAdmin(connector, {
      name: 'Chosen Cert Co',
      alias: 'chc',
      seed: ++seed,
    });
    const invitation = await invite({ credential: 'certificate' });
    expect(invitation.status).toBe(201);
    expect(invitation.body.credential).toBe('certificate');
    const page = await onboard(new URL(invitation.body.url).pathname, admin);
    expect(page.status).toBe(200);
    const view = (await connector.call('GET', `/tenants/${tenantId}`)).body;
    const app = connector.simulator.directory.applications.get(view.clientId) as SimApplication;
    expect(app.passwordCredentials).toEqual([]);
    expect(app.keyCredentials).toHaveLength(2);
    expect(await replicates(tenantId)).toBe('completed');
  }, 90_000);

  it('rotates a certificate with addKey: a new Key Vault version, proven, switched, the old one removed last, validation passing throughout', async () => {
    const { tenantId, app } = await certificateTenant(connector);
    const certificate = () => vault()?.certificates.get(tenantCertificateName(tenantId, 'dr-london'));
    const oldKey = app.keyCredentials[0]?.keyId;

    const started = await connector.call('POST', `/tenants/${tenantId}/services/dr-london/rotate`);
    expect(started.status).toBe(202);
    const failures: string[] = [];
    let state = 'started';
    while (state !== 'done' && state !== 'failed') {
      const validated = await connector.call('POST', `/tenants/${tenantId}/validate`);
      if (validated.status !== 200 || validated.body.status === 'credentials_invalid')
        failures.push(`validation while ${state}: ${validated.status}`);
      state = (await connector.call('GET', `/tenants/${tenantId}`)).body.credentials?.[0]?.rotation?.state;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(state).toBe('done');
    expect(failures).toEqual([]);
    expect(certificate()?.versions).toHaveLength(2);
    expect(app.keyCredentials).toHaveLength(1);
    expect(app.keyCredentials[0]?.keyId).not.toBe(oldKey);
    expect(app.keyCredentials[0]?.der.equals(certificate()?.versions[1]?.der ?? Buffer.alloc(0))).toBe(true);
    expect(app.passwordCredentials).toEqual([]);
    await until(
      async () =>
        connector.standIn.events.filter(
          (event) => event.type === 'credentials.rotated' && event.data.tenantId === tenantId,
        ).length,
      (count) => count === 1,
      30_000,
    );
    expect(await replicates(tenantId)).toBe('completed');
  }, 120_000);

  it('reconnects by signing in again: the app is kept and the service gets a new certificate in place of the lost one', async () => {
    const { tenantId, clientId, app } = await certificateTenant(connector);
    app.keyCredentials.splice(0);
    const invalid = await connector.call('POST', `/tenants/${tenantId}/validate`);
    expect(invalid.body.status).toBe('credentials_invalid');
    const link = await connector.call('POST', `/tenants/${tenantId}/reconnect`, {
      body: { method: 'automatic' },
    });
    expect(link.status).toBe(201);
    expect(link.body).toMatchObject({ purpose: 'reconnect', credential: 'certificate' });
    const upn = [...connector.simulator.directory.tenant(tenantId).users.values()].find((user) =>
      user.userPrincipalName.startsWith('cert'),
    )?.userPrincipalName;
    const page = await onboard(new URL(link.body.url).pathname, upn ?? '');
    expect(page.status).toBe(200);
    expect((await connector.call('GET', `/tenants/${tenantId}`)).body).toMatchObject({
      status: 'active',
      clientId,
    });
    expect(app.passwordCredentials).toEqual([]);
    expect(app.keyCredentials).toHaveLength(1);
    expect(vault()?.certificates.get(tenantCertificateName(tenantId, 'dr-london'))?.versions).toHaveLength(2);
    expect(await replicates(tenantId)).toBe('completed');
  }, 90_000);

  it('moves a secret to a certificate when its rotation finds the policy now refuses new secrets', async () => {
    const { tenantId, app } = await selfManagedTenant(connector, { quiet: true });
    connector.simulator.control.setPolicies(tenantId, { passwordsForbidden: true });
    expect((await connector.call('POST', `/tenants/${tenantId}/services/dr-london/rotate`)).status).toBe(202);
    const rotation = await until(
      async () => (await connector.call('GET', `/tenants/${tenantId}`)).body.credentials[0],
      (value) => value?.rotation?.state === 'done' || value?.rotation?.state === 'failed',
      40_000,
    );
    expect(rotation).toMatchObject({ kind: 'certificate', rotation: { state: 'done' } });
    expect(app.passwordCredentials).toEqual([]);
    expect(app.keyCredentials).toHaveLength(1);
    expect(await replicates(tenantId)).toBe('completed');
  }, 60_000);

  it('refuses a certificate invitation the admin could complete by hand, creating nothing', async () => {
    const refused = await invite({ credential: 'certificate', method: 'either' });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('credential: certificate needs method: automatic');
    const unknown = await invite({ credential: 'smartcard' });
    expect(unknown.status).toBe(400);
  });
});
