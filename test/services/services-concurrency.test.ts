import { describe, expect, it } from 'vitest';
import { secretName } from '../../src/lib/onboarding/registration-names.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { PageSession } from '../support/browserless.js';
import { eventually } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();

const paris = { id: 'dr-paris', name: 'Direct Routing Paris', licenceType: 'HostedPro' };
const berlin = { id: 'dr-berlin', name: 'Direct Routing Berlin', licenceType: 'HostedPro' };

const vaultVersions = (tenantId: string, serviceId: string) =>
  connector.simulator.vaults
    .get('connector')
    ?.vault.secrets.get(tenantSecretName(tenantId, serviceId).toLowerCase())?.versions ?? [];

const eventsOf = (tenantId: string, type: string) =>
  connector.standIn.events.filter((event) => event.type === type && event.data.tenantId === tenantId);

const addService = (tenantId: string, body: typeof paris) =>
  connector.call('POST', `/tenants/${tenantId}/services`, { body });

describe('services asked for at the same time', () => {
  it('the same request twice at once (a core retry racing the original): one 201 and one 200, one password, one version, one event', async () => {
    const { tenantId, app } = await selfManagedTenant(connector);
    // Entra takes a moment to accept the new secret, so the two requests overlap for certain.
    connector.simulator.directory.tenant(tenantId).policies.secretPropagationMs = 1500;
    const answers = await Promise.all([addService(tenantId, paris), addService(tenantId, paris)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 201]);
    expect(
      app.passwordCredentials.filter((password) => password.displayName === secretName('dr-paris')),
    ).toHaveLength(1);
    expect(vaultVersions(tenantId, 'dr-paris')).toHaveLength(1);
    await eventually(() => eventsOf(tenantId, 'tenant.service_added').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(eventsOf(tenantId, 'tenant.service_added')).toHaveLength(1);
  }, 30_000);

  it('two different services at once: both 201, both listed on the tenant, one event each', async () => {
    const { tenantId } = await selfManagedTenant(connector);
    const answers = await Promise.all([addService(tenantId, paris), addService(tenantId, berlin)]);
    expect(answers.map((answer) => answer.status)).toEqual([201, 201]);
    const view = await connector.call('GET', `/tenants/${tenantId}`);
    expect(view.body.services.map((service: { id: string }) => service.id).sort()).toEqual([
      'dr-berlin',
      'dr-london',
      'dr-paris',
    ]);
    await eventually(() => eventsOf(tenantId, 'tenant.service_added').length === 2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      eventsOf(tenantId, 'tenant.service_added')
        .map((event) => event.data.serviceId)
        .sort(),
    ).toEqual(['dr-berlin', 'dr-paris']);
  }, 30_000);

  it('the customer’s secret submitted twice at once (a double click): pages for both, one version, one event', async () => {
    const { tenantId, app } = await selfManagedTenant(connector, { owner: false });
    const pending = await addService(tenantId, paris);
    expect(pending.status).toBe(202);
    const path = new URL(pending.body.secretLink.url).pathname;
    const session = new PageSession(connector.publicBaseUrl);
    const form = await session.get(path);
    const made = connector.simulator.directory.addPassword(app.appId, {
      displayName: 'Paris',
      lifetimeDays: 90,
    });
    const submit = () =>
      session.post(path, { form: PageSession.formToken(form.html), clientSecret: made.secretText });
    const pages = await Promise.all([submit(), submit()]);
    expect(pages.map((page) => page.status).sort()).toEqual([200, 200]);
    for (const page of pages) expect(page.html).toMatch(/The service is connected|was given already/);
    expect(pages.some((page) => page.html.includes('The service is connected'))).toBe(true);
    expect(vaultVersions(tenantId, 'dr-paris')).toHaveLength(1);
    await eventually(() => eventsOf(tenantId, 'tenant.service_added').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(eventsOf(tenantId, 'tenant.service_added')).toHaveLength(1);
  }, 30_000);
});
