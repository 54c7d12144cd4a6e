import { expect } from 'vitest';
import { directoryRoles as r } from '../../src/lib/validation/directory-roles.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { PageSession } from './browserless.js';
import type { ConnectorFixture } from './connector-fixture.js';

/**
 * Connects a tenant through the manual path, with an app that holds Teams Administrator and every permission, and
 * owns itself as the page asks (unless `owner` is false).
 */
export async function onboardManually(
  connector: ConnectorFixture,
  tenantId: string,
  services = [{ id: 'dr-london', name: 'Direct Routing London' }],
  permissions: readonly string[] = [...requiredPermissions.replication, ...requiredPermissions.selfRotation],
  invitation: Record<string, unknown> = {},
  options: { owner?: boolean } = {},
) {
  const created = await connector.call('POST', '/invitations', {
    body: {
      customer: { reference: 'C-T', name: 'Tenant Customer' },
      services,
      licenceType: 'HostedPro',
      method: 'manual',
      ...invitation,
    },
  });
  const path = new URL(created.body.url).pathname;
  const app = connector.simulator.directory.addApplication({
    homeTenantId: tenantId,
    displayName: 'Live Platform Connector',
  });
  const secret = connector.simulator.directory.addPassword(app.appId, { lifetimeDays: 90 });
  connector.simulator.control.grantGraphPermissions(tenantId, app.appId, [...permissions]);
  const principal = connector.simulator.directory.tenant(tenantId).servicePrincipalByAppId(app.appId);
  connector.simulator.control.assignRole(tenantId, principal?.id as string, r.teamsAdministrator.id);
  if (options.owner !== false) app.ownerIds.push(principal?.id as string);
  const session = new PageSession(connector.publicBaseUrl);
  const landing = await session.get(path);
  const result = await session.post(`${path}/manual`, {
    form: PageSession.formToken(landing.html),
    tenantId,
    clientId: app.appId,
    clientSecret: secret.secretText,
  });
  expect(result.status).toBe(200);
  return {
    clientId: app.appId,
    secret: secret.secretText,
    servicePrincipalId: principal?.id as string,
    invitationId: created.body.id as string,
  };
}

/**
 * A national cloud's Graph (no Teams telephony endpoints) set in the simulator, and the sample world's first tenant
 * onboarded manually without the Teams permissions, as such a cloud's tenant is; its id.
 */
export async function onboardInNationalCloud(connector: ConnectorFixture): Promise<string> {
  connector.simulator.control.setGraphConfig({ teamsApis: false });
  const tenantId = (connector.world.tenants[0] as { id: string }).id;
  const teams: readonly string[] = requiredPermissions.teams;
  await onboardManually(connector, tenantId, undefined, [
    ...requiredPermissions.replication.filter((permission) => !teams.includes(permission)),
    ...requiredPermissions.selfRotation,
  ]);
  return tenantId;
}
