import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SimApplication } from '../../sim/directory.js';
import { graphAppRoleId } from '../../sim/graph/graph-permissions.js';
import { services } from '../../src/app-services.js';
import { dependencies } from '../../src/lib/dependencies.js';
import { secretName } from '../../src/lib/onboarding/registration-names.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { type TenantPartitionRow, tenantRows } from '../../src/lib/tenants/tenant-partition.js';
import { directoryRoles as r } from '../../src/lib/validation/directory-roles.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { PageSession } from '../support/browserless.js';
import { certificateTenant, onboardBySignIn } from '../support/certificate-tenant.js';
import { eventually, until } from '../support/eventually.js';
import { onboardManually } from '../support/onboard-manually.js';
import { replicationRun } from '../support/replication-run.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { tenantWithAdmin } from '../support/tenant-with-admin.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector({ SBC_BASE_DOMAIN: 'customers.example.net', SBC_DNS_TARGET: '203.0.113.10' });

const allPermissions = [
  ...requiredPermissions.replication,
  ...requiredPermissions.selfRotation,
  ...requiredPermissions.automaticDns,
];

const vault = () => connector.simulator.vaults.get('connector')?.vault;
const eventsOf = (tenantId: string, type: string) =>
  connector.standIn.events.filter((event) => event.type === type && event.data.tenantId === tenantId);

const replicates = (tenantId: string) => replicationRun(connector, tenantId);

/** DELETE /tenants/{id}, then the tenant's view once its offboarding is done. */
async function offboard(tenantId: string, body?: Record<string, unknown>, expected = [202]) {
  const answer = await connector.call('DELETE', `/tenants/${tenantId}`, { body: { tenantId, ...body } });
  expect(expected).toContain(answer.status);
  return until(
    async () => (await connector.call('GET', `/tenants/${tenantId}`)).body,
    (view) => view.offboarding?.state === 'done',
    60_000,
  );
}

const rowsOf = async (tenantId: string) => ({
  replica: (await connector.rows(tableNames.replica)).filter((row) =>
    String(row.partitionKey).startsWith(`${tenantId}|`),
  ).length,
  feed: (await connector.rows(tableNames.replicaChanges)).filter((row) => row.partitionKey === tenantId)
    .length,
  work: (await connector.rows(tableNames.tenants)).filter(
    (row) =>
      row.partitionKey === tenantId &&
      /^(run|replication$|service|site\||listed|deferred)/.test(String(row.rowKey)),
  ).length,
});

describe('offboarding a tenant', () => {
  it('removes the connector’s passwords, Key Vault entries, replica and feed; keeps a tombstone; tells the core what is left; a new invitation brings it back', async () => {
    const tenant = await selfManagedTenant(connector, { permissions: allPermissions, quiet: true });
    const { tenantId, app } = tenant;
    for (const role of [r.domainNameAdministrator.id, r.userAdministrator.id])
      connector.simulator.control.assignRole(tenantId, tenant.servicePrincipalId, role);
    const added = await connector.call('POST', `/tenants/${tenantId}/services`, {
      body: { id: 'dr-paris', name: 'Direct Routing Paris', licenceType: 'HostedPro' },
    });
    expect(added.status).toBe(201);
    const site = await connector.call('POST', `/tenants/${tenantId}/sites`, {
      body: { siteId: 'hq', label: 'leaving', usageLocation: 'GB' },
    });
    expect(site.status).toBe(202);
    expect(await replicates(tenantId)).toBe('completed');
    const before = await rowsOf(tenantId);
    expect(before.replica).toBeGreaterThan(0);
    expect(before.feed).toBeGreaterThan(0);
    expect(app.passwordCredentials).toHaveLength(2);

    const view = await offboard(tenantId);
    expect(view.status).toBe('offboarded');
    expect(view.credentials).toBeUndefined();
    expect(app.passwordCredentials).toEqual([]);
    expect(connector.simulator.directory.applications.get(tenant.clientId)).toBeDefined();
    for (const serviceId of ['dr-london', 'dr-paris'])
      expect(
        vault()?.secrets.get(tenantSecretName(tenantId, serviceId).toLowerCase())?.deleted,
      ).toBeDefined();
    expect(await rowsOf(tenantId)).toEqual({ replica: 0, feed: 0, work: 0 });
    expect(view.offboarding).toMatchObject({
      state: 'done',
      removeRegistration: false,
      removed: ['the password of service dr-london', 'the password of service dr-paris'],
      vaultRetentionDays: 90,
    });
    const left = view.offboarding.leftToCustomer.join('\n');
    expect(left).toContain(
      `the app registration ${tenant.clientId} itself, kept because the offboarding did not ask to delete it (removeRegistration); onboarding this tenant again reuses it`,
    );
    expect(left).toContain('directory roles');
    expect(left).toMatch(/site hq: the domain leaving\.customers\.example\.net/);
    await eventually(() => eventsOf(tenantId, 'tenant.offboarded').length === 1);
    expect(eventsOf(tenantId, 'tenant.offboarded')[0]?.data).toEqual({
      tenantId,
      removed: view.offboarding.removed,
      leftToCustomer: view.offboarding.leftToCustomer,
      vaultRetentionDays: 90,
    });

    // Asked again, it reports the state; nothing else may start for the tenant.
    const again = await connector.call('DELETE', `/tenants/${tenantId}`, { body: { tenantId } });
    expect(again.status).toBe(200);
    const { customerPage, ...state } = again.body;
    expect(state).toEqual(view.offboarding);
    // The customer's admin gets the same list as a page.
    const session = new PageSession(connector.publicBaseUrl);
    const page = await session.get(new URL(customerPage).pathname);
    expect(page.status).toBe(200);
    expect(page.html).toContain('is disconnected from the Live Platform');
    expect(page.html).toContain('directory roles assigned to the app registration');
    expect(page.html).toContain('leaving.customers.example.net');
    expect((await session.get('/api/offboarding/not-a-link')).status).toBe(404);
    const replicate = await connector.call('POST', `/tenants/${tenantId}/replicate`);
    expect(replicate.status).toBe(409);
    expect(replicate.body.detail).toBe(
      'Not ready: the tenant is offboarded. Invite it again to bring it back.',
    );
    expect((await connector.call('POST', `/tenants/${tenantId}/services/dr-london/rotate`)).status).toBe(404);
    // The replica and the feed are gone, and the core is told so (not 200 with zeros).
    for (const path of ['replica/counts', 'changes', 'replica']) {
      const gone = await connector.call('GET', `/tenants/${tenantId}/${path}`);
      expect(gone.status).toBe(410);
      expect(gone.body.type).toMatch(/tenant_offboarded$/);
      expect(gone.body.offboarding).toEqual(view.offboarding);
    }
    // Nothing left to validate: not "the client secret is not right".
    const validate = await connector.call('POST', `/tenants/${tenantId}/validate`);
    expect(validate.status).toBe(404);
    expect(validate.body.type).toMatch(/tenant_not_found$/);
    expect((await connector.call('POST', `/tenants/${tenantId}/reconnect`, { body: {} })).status).toBe(404);
    expect(eventsOf(tenantId, 'tenant.offboarded')).toHaveLength(1);

    // A new invitation onboards it again: a fresh tenant record, its secret back in Key Vault, replication anew.
    const back = await onboardManually(connector, tenantId);
    const returned = (await connector.call('GET', `/tenants/${tenantId}`)).body;
    expect(returned).toMatchObject({ status: 'active', clientId: back.clientId });
    expect(returned.offboarding).toBeUndefined();
    expect(await replicates(tenantId)).toBe('completed');
    expect((await rowsOf(tenantId)).replica).toBeGreaterThan(0);
  }, 120_000);

  it('reuses the app registration an offboarding kept when the admin signs in again: no second app, the permissions it lacks added', async () => {
    const { id: tenantId, admin } = tenantWithAdmin(connector, {
      name: `Comes Back ${process.pid}`,
      alias: 'back',
      seed: process.pid * 100 + 77,
    });
    const invite = async (services: { id: string; name: string }[]) => {
      const created = await connector.call('POST', '/invitations', {
        body: {
          customer: { reference: 'C-back', name: 'Comes Back' },
          services,
          licenceType: 'HostedPro',
          method: 'automatic',
        },
      });
      expect(created.status).toBe(201);
      return new URL(created.body.url).pathname;
    };
    const london = { id: 'dr-london', name: 'Direct Routing London' };
    expect((await onboardBySignIn(connector, await invite([london]), admin)).status).toBe(200);
    const { clientId } = (await connector.call('GET', `/tenants/${tenantId}`)).body;
    expect((await offboard(tenantId)).status).toBe('offboarded');
    const app = connector.simulator.directory.applications.get(clientId) as SimApplication;
    expect(app.passwordCredentials).toEqual([]);
    app.requiredResourceAccess = [];

    const back = await onboardBySignIn(
      connector,
      await invite([london, { id: 'dr-paris', name: 'Direct Routing Paris' }]),
      admin,
    );
    expect(back.status).toBe(200);
    const returned = (await connector.call('GET', `/tenants/${tenantId}`)).body;
    expect(returned).toMatchObject({ status: 'active', clientId });
    const apps = [...connector.simulator.directory.applications.values()].filter(
      (candidate) => candidate.homeTenantId === tenantId,
    );
    expect(apps.map((candidate) => candidate.appId)).toEqual([clientId]);
    expect(app.passwordCredentials.map((password) => password.displayName).sort()).toEqual([
      secretName('dr-london'),
      secretName('dr-paris'),
    ]);
    const declared = app.requiredResourceAccess.flatMap((resource) =>
      resource.resourceAccess.map((access) => access.id),
    );
    expect(declared).toContain(graphAppRoleId('User.Read.All'));
  }, 120_000);

  it('deletes the app registration last when asked, for a tenant on certificates, and Key Vault keeps the certificate soft-deleted', async () => {
    const { tenantId, clientId } = await certificateTenant(connector);
    const view = await offboard(tenantId, { removeRegistration: true });
    expect(view.offboarding.removed).toEqual([
      `the app registration ${clientId} (Entra keeps it restorable for 30 days)`,
    ]);
    expect(connector.simulator.directory.applications.get(clientId)).toBeUndefined();
    expect(vault()?.certificates.get(`tenantcert-${tenantId}-dr-london`)?.deleted).toBeDefined();
  }, 90_000);

  it('still deletes the local data of a tenant whose app the customer deleted, and lists the rest for the customer', async () => {
    const { tenantId, clientId } = await selfManagedTenant(connector, { quiet: true });
    expect(await replicates(tenantId)).toBe('completed');
    connector.simulator.control.revokeConsent(tenantId, clientId);
    connector.simulator.directory.applications.delete(clientId);
    const view = await offboard(tenantId);
    expect(view.offboarding.removed).toEqual([]);
    expect(view.offboarding.leftToCustomer[0]).toContain(
      `the app registration ${clientId} (the connector could not change it`,
    );
    expect(
      vault()?.secrets.get(tenantSecretName(tenantId, 'dr-london').toLowerCase())?.deleted,
    ).toBeDefined();
    expect(await rowsOf(tenantId)).toEqual({ replica: 0, feed: 0, work: 0 });
  }, 90_000);

  it('waits out a Key Vault outage before it decides anything, then removes the passwords all the same', async () => {
    const { tenantId, app } = await selfManagedTenant(connector, { quiet: true });
    connector.simulator.control.injectFault({ path: `/secrets/tenant-${tenantId}`, status: 503 });
    try {
      const asked = await connector.call('DELETE', `/tenants/${tenantId}`, { body: { tenantId } });
      expect(asked.status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const waiting = (await connector.call('GET', `/tenants/${tenantId}`)).body;
      expect(waiting).toMatchObject({ status: 'offboarding', offboarding: { state: 'started' } });
    } finally {
      connector.simulator.control.clearFaults();
    }
    const view = await offboard(tenantId, undefined, [200, 202]);
    expect(view.offboarding.removed).toEqual(['the password of service dr-london']);
    expect(view.offboarding.leftToCustomer.join('\n')).not.toContain('could not change it');
    expect(app.passwordCredentials).toEqual([]);
  }, 90_000);

  it('takes up an offboarding whose message was lost (the sweep) or poisoned, and finishes it', async () => {
    const { TableClient } = await import('@azure/data-tables');
    const table = TableClient.fromConnectionString(connector.azurite.connectionString, tableNames.tenants, {
      allowInsecureConnection: true,
    });
    const { tenantOffboarding } = services();
    const lost = await selfManagedTenant(connector, { quiet: true });
    const poisoned = await selfManagedTenant(connector, { quiet: true });
    // Recorded, but their messages never came (a crash right after the start; a message that failed five times).
    for (const { tenantId } of [lost, poisoned])
      await tenantOffboarding.start(tenantId, { removeRegistration: false });
    await tenantOffboarding.runner.poisoned({ tenantId: poisoned.tenantId }, 'failed five times');
    const row = (tenantId: string) =>
      table.getEntity<Record<string, unknown>>(tenantId, tenantRows.offboarding);
    expect(await row(poisoned.tenantId)).toMatchObject({
      state: 'started',
      attempts: 1,
      lastError: 'offboarding: failed five times',
    });
    expect((await connector.call('GET', `/tenants/${lost.tenantId}`)).body.status).toBe('offboarding');
    // Not overdue yet: the sweep leaves them to their messages.
    await tenantOffboarding.runner.sweep();
    expect((await row(lost.tenantId)).state).toBe('started');
    // Long overdue: the sweep queues them again, and they finish.
    const past = new Date(Date.now() - 60 * 60_000).toISOString();
    for (const { tenantId } of [lost, poisoned])
      await table.updateEntity(
        { partitionKey: tenantId, rowKey: tenantRows.offboarding, updatedAt: past, nextAttemptAt: past },
        'Merge',
      );
    expect((await tenantOffboarding.runner.sweep()).queued).toBeGreaterThanOrEqual(2);
    for (const { tenantId, app } of [lost, poisoned]) {
      const view = await until(
        async () => (await connector.call('GET', `/tenants/${tenantId}`)).body,
        (body) => body.offboarding?.state === 'done',
        60_000,
      );
      expect(view.status).toBe('offboarded');
      expect(app.passwordCredentials).toEqual([]);
    }
  }, 120_000);

  it('refuses an unknown tenant (404), one still being onboarded (409) and a body it does not know (400), changing nothing', async () => {
    const unknown = await connector.call('DELETE', '/tenants/00000000-0000-4000-8000-000000000000', {
      body: { tenantId: '00000000-0000-4000-8000-000000000000' },
    });
    expect(unknown.status).toBe(404);
    // An admin signed in and the app is being made: the tenant is not recorded yet.
    const onboarding = randomUUID();
    await dependencies()
      .storage.table<TenantPartitionRow>(tableNames.tenants)
      .insert({
        partitionKey: onboarding,
        rowKey: tenantRows.provisioning('invitation-1'),
        invitationId: 'invitation-1',
        appObjectId: randomUUID(),
        appId: randomUUID(),
        servicesDone: '[]',
      });
    const early = await connector.call('DELETE', `/tenants/${onboarding}`, {
      body: { tenantId: onboarding },
    });
    expect(early.status).toBe(409);
    expect(early.body.type).toMatch(/tenant_still_onboarding$/);
    const { tenantId } = await selfManagedTenant(connector, { quiet: true });
    const bad = await connector.call('DELETE', `/tenants/${tenantId}`, {
      body: { tenantId, removeRegistration: 'yes' },
    });
    expect(bad.status).toBe(400);
    expect((await connector.call('GET', `/tenants/${tenantId}`)).body.status).toBe('active');
  }, 60_000);
});
