import { describe, expect, it } from 'vitest';
import { services } from '../../src/app-services.js';
import { consoleLogger } from '../../src/lib/hosting/logger.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { eventually, until } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();
const dayMs = 86_400_000;
/** Key Vault keeps dates in whole seconds. */
const wholeSecondNow = () => Math.floor(Date.now() / 1000) * 1000;
const toSecond = (date: Date) => new Date(Math.floor(date.getTime() / 1000) * 1000);

const vault = () => connector.simulator.vaults.get('connector')?.vault;
const latestSecret = (tenantId: string) =>
  vault()?.secrets.get(tenantSecretName(tenantId, 'dr-london').toLowerCase())?.versions.at(-1);

/** Key Vault says the service's secret ends at `end` (as it would for a secret the admin gave with that date). */
function setVaultExpiry(tenantId: string, end: Date): void {
  const stored = latestSecret(tenantId);
  vault()?.put(tenantSecretName(tenantId, 'dr-london'), {
    value: stored?.value ?? '',
    tags: { ...stored?.tags, expiry: end.toISOString() },
    expires: Math.floor(end.getTime() / 1000),
  });
}

const expiring = (tenantId: string) =>
  connector.standIn.events.filter(
    (event) => event.type === 'credentials.expiring' && event.data.tenantId === tenantId,
  );

/** The daily check as it runs on a day `daysOn` from now (the check takes its clock; Entra and Key Vault are live). */
const checkOn = (start: number, daysOn: number) =>
  services().credentialCheck.run(consoleLogger, new Date(start + daysOn * dayMs));

describe('watching secrets the connector cannot renew', () => {
  it('warns the core at 30, 14, 7 and 1 days left, once each, with what the customer must do', async () => {
    const { tenantId, clientId } = await selfManagedTenant(connector, { owner: false, quiet: true });
    const start = wholeSecondNow();
    const end = new Date(start + 20 * dayMs);
    setVaultExpiry(tenantId, end);

    await checkOn(start, 0);
    await checkOn(start, 0);
    await eventually(() => expiring(tenantId).length === 1);
    expect(expiring(tenantId)[0]?.data).toEqual({
      tenantId,
      serviceId: 'dr-london',
      clientId,
      expiresAt: end.toISOString(),
      daysLeft: 20,
      action: expect.stringContaining(`/api/tenants/${tenantId}/reconnect`),
    });
    for (const daysOn of [1, 7, 7.5, 14, 19.5, 19.9]) await checkOn(start, daysOn);
    await eventually(() => expiring(tenantId).length === 4);
    expect(expiring(tenantId).map((event) => event.data.daysLeft)).toEqual([20, 13, 6, 0]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(expiring(tenantId)).toHaveLength(4);
    const rows = await connector.rows('Tenants');
    expect(
      rows.filter((row) => row.partitionKey === tenantId && row.rowKey === 'expiry-warning|dr-london'),
    ).toEqual([expect.objectContaining({ warnedDays: 1, expiresAt: end.toISOString() })]);
    expect(JSON.stringify([rows, connector.standIn.events, connector.logs])).not.toContain(
      latestSecret(tenantId)?.value,
    );
  }, 60_000);

  it('sends only the nearest warning when a check first sees a secret late, and starts afresh for a new one', async () => {
    const { tenantId } = await selfManagedTenant(connector, { owner: false, quiet: true });
    const start = wholeSecondNow();
    setVaultExpiry(tenantId, new Date(start + 5 * dayMs));
    await checkOn(start, 0);
    await eventually(() => expiring(tenantId).length === 1);
    expect(expiring(tenantId)[0]?.data.daysLeft).toBe(5);

    const renewed = new Date(start + 25 * dayMs);
    setVaultExpiry(tenantId, renewed);
    await checkOn(start, 0);
    await eventually(() => expiring(tenantId).length === 2);
    expect(expiring(tenantId)[1]?.data).toMatchObject({ expiresAt: renewed.toISOString(), daysLeft: 25 });
  }, 60_000);

  it('takes the end date from Entra when the registration can read itself, and corrects Key Vault', async () => {
    const { tenantId, app } = await selfManagedTenant(connector, {
      owner: false,
      quiet: true,
      permissions: [...requiredPermissions.replication, 'Application.Read.All'],
    });
    const password = app.passwordCredentials[0];
    const entraEnd = password?.endDateTime as Date;
    // Manual onboarding assumed 180 days; the admin's secret really lasts 90.
    expect((latestSecret(tenantId)?.expires ?? 0) * 1000 - entraEnd.getTime()).toBeGreaterThan(80 * dayMs);
    const start = wholeSecondNow();
    const first = await checkOn(start, 0);
    expect(first.corrected).toBeGreaterThanOrEqual(1);
    expect(latestSecret(tenantId)).toMatchObject({
      expires: Math.floor(entraEnd.getTime() / 1000),
      tags: expect.objectContaining({ keyId: password?.keyId }),
    });
    const view = await connector.call('GET', `/tenants/${tenantId}`);
    expect(view.body.credentials[0]).toMatchObject({
      expiresAt: toSecond(entraEnd).toISOString(),
      renewal: 'customer',
    });

    await checkOn(start, 65);
    await eventually(() => expiring(tenantId).length === 1);
    expect(expiring(tenantId)[0]?.data.expiresAt).toBe(entraEnd.toISOString());
  }, 60_000);

  it('leaves a secret the connector rotates to the rotation, and warns once a rotation the policy refuses fails', async () => {
    const { tenantId, app } = await selfManagedTenant(connector, { quiet: true });
    const start = wholeSecondNow();
    // Entra's own end date rules (the registration reads itself): the password ends in 20 days.
    (app.passwordCredentials[0] as { endDateTime: Date }).endDateTime = new Date(start + 20 * dayMs);
    Object.assign(connector.simulator.directory.tenant(tenantId).policies, {
      maxSecretLifetimeDays: 1,
      maxCertificateLifetimeDays: 30,
    });
    expect(await checkOn(start, 0)).toMatchObject({ rotating: 1 });
    const rotation = await until(
      async () => (await connector.call('GET', `/tenants/${tenantId}`)).body.credentials[0].rotation,
      (value) => value?.state === 'failed',
      40_000,
    );
    expect(rotation.failure).toContain('policy refuses');
    expect(expiring(tenantId)).toEqual([]);

    await checkOn(start, 1);
    await eventually(() => expiring(tenantId).length === 1);
    expect(expiring(tenantId)[0]?.data.daysLeft).toBe(19);
  }, 60_000);

  it('lists every tenant’s secrets soonest to end first', async () => {
    const listed = await connector.call('GET', '/credentials');
    expect(listed.status).toBe(200);
    const ends: string[] = listed.body.value.map((entry: { expiresAt: string }) => entry.expiresAt);
    expect(ends.length).toBeGreaterThanOrEqual(4);
    expect(ends).toEqual([...ends].sort());
    const first = listed.body.value[0];
    expect(first).toMatchObject({
      serviceId: 'dr-london',
      customer: { reference: 'C-T', name: 'Tenant Customer' },
      renewal: expect.stringMatching(/^(connector|customer)$/),
    });
    // An app that is not its own owner is renewed by the customer, and its report asks for the ownership.
    expect(first.tenantStatus).toBe(first.renewal === 'customer' ? 'action_required' : 'active');
  });
});
