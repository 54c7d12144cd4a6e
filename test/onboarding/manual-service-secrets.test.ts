import { describe, expect, it } from 'vitest';
import { serviceSecretField } from '../../src/lib/onboarding/manual/manual-onboarding.js';
import { tenantSecretName } from '../../src/lib/secrets/tenant-secret-store.js';
import { directoryRoles as r } from '../../src/lib/validation/directory-roles.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { PageSession } from '../support/browserless.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();
let seed = 900;

/** An invitation for two services, a tenant, and the customer's own app in it with two secrets. */
async function setup() {
  const tenant = connector.simulator.control.generateTenant({
    displayName: `Two services ${seed}`,
    domain: `two-services-${seed}.example`,
    seed: ++seed,
    sizes: { users: 2, groups: 1 },
  });
  const created = await connector.call('POST', '/invitations', {
    body: {
      customer: { reference: 'C-2', name: 'Two Services Ltd' },
      services: [
        { id: 'dr-london', name: 'Direct Routing London' },
        { id: 'dr-paris', name: 'Direct Routing Paris' },
      ],
      licenceType: 'HostedPro',
      method: 'manual',
    },
  });
  const app = connector.simulator.directory.addApplication({
    homeTenantId: tenant.id,
    displayName: 'Own app',
  });
  const london = connector.simulator.directory.addPassword(app.appId, { lifetimeDays: 90 }).secretText;
  const paris = connector.simulator.directory.addPassword(app.appId, { lifetimeDays: 90 }).secretText;
  connector.simulator.control.grantGraphPermissions(tenant.id, app.appId, [
    ...requiredPermissions.replication,
    ...requiredPermissions.selfRotation,
  ]);
  const principal = connector.simulator.directory.tenant(tenant.id).servicePrincipalByAppId(app.appId);
  connector.simulator.control.assignRole(tenant.id, principal?.id as string, r.teamsAdministrator.id);
  return {
    tenantId: tenant.id,
    clientId: app.appId,
    london,
    paris,
    path: new URL(created.body.url).pathname,
  };
}

async function submit(path: string, values: Record<string, string>) {
  const session = new PageSession(connector.publicBaseUrl);
  const landing = await session.get(path);
  return {
    landing,
    result: await session.post(`${path}/manual`, { form: PageSession.formToken(landing.html), ...values }),
  };
}

const stored = (tenantId: string, serviceId: string) =>
  connector.simulator.vaults
    .get('connector')
    ?.vault.secrets.get(tenantSecretName(tenantId, serviceId).toLowerCase())
    ?.versions.at(-1)?.value;

const warnings = async (tenantId: string) =>
  (
    (await connector.call('GET', `/tenants/${tenantId}/validation`)).body.report.warnings as {
      code: string;
    }[]
  ).map((warning) => warning.code);

describe('manual registration with several services', () => {
  it('asks for a secret per service and stores each under its own service', async () => {
    const { tenantId, clientId, london, paris, path } = await setup();
    const { landing, result } = await submit(path, {
      tenantId,
      clientId,
      clientSecret: london,
      [serviceSecretField('dr-paris')]: paris,
    });
    expect(landing.html).toContain('Client secret value for Direct Routing London');
    expect(landing.html).toContain(`name="${serviceSecretField('dr-paris')}"`);
    expect(result.status).toBe(200);
    expect(stored(tenantId, 'dr-london')).toBe(london);
    expect(stored(tenantId, 'dr-paris')).toBe(paris);
    expect(await warnings(tenantId)).not.toContain('services_share_secret');
  });

  it('lets services share the first secret when a field is left empty, and says so in the report, then and later', async () => {
    const { tenantId, clientId, london, path } = await setup();
    const { result } = await submit(path, { tenantId, clientId, clientSecret: london });
    expect(result.status).toBe(200);
    expect(result.html).toContain('Services dr-london, dr-paris use one client secret');
    expect(stored(tenantId, 'dr-paris')).toBe(london);
    expect(await warnings(tenantId)).toContain('services_share_secret');
    const again = await connector.call('POST', `/tenants/${tenantId}/validate`);
    expect(again.body.report.warnings.map((warning: { code: string }) => warning.code)).toContain(
      'services_share_secret',
    );
  });

  it('refuses a further service’s secret that does not work, naming the service, and stores nothing', async () => {
    const { tenantId, clientId, london, path } = await setup();
    const { result } = await submit(path, {
      tenantId,
      clientId,
      clientSecret: london,
      [serviceSecretField('dr-paris')]: 'wrong-secret-value',
    });
    expect(result.status).toBe(400);
    expect(result.html).toContain('The client secret for Direct Routing Paris does not work');
    expect(result.html).not.toContain('wrong-secret-value');
    expect(stored(tenantId, 'dr-london')).toBeUndefined();
    expect((await connector.call('GET', `/tenants/${tenantId}`)).status).toBe(404);
  });
});
