import { beforeAll, describe, expect, it } from 'vitest';
import { directoryRoles as r } from '../../src/lib/validation/directory-roles.js';
import { eventually } from '../support/eventually.js';
import { onboardManually } from '../support/onboard-manually.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();
let tenantId: string;
let app: Awaited<ReturnType<typeof onboardManually>>;

beforeAll(async () => {
  tenantId = (connector.world.tenants[0] as { id: string }).id;
  app = await onboardManually(connector, tenantId);
});

const eventsOf = (type: string) =>
  connector.standIn.events.filter((event) => event.type === type && event.data.tenantId === tenantId);

describe('tenants API', () => {
  it('lists and reads the connected tenant', async () => {
    const list = await connector.call('GET', '/tenants');
    expect(list.body.value.map((tenant: { tenantId: string }) => tenant.tenantId)).toEqual([tenantId]);
    const one = await connector.call('GET', `/tenants/${tenantId}`);
    expect(one.body).toMatchObject({
      tenantId,
      status: 'active',
      verdict: 'ready',
      method: 'manual',
      clientId: app.clientId,
      invitationId: app.invitationId,
    });
  });

  it('returns the last validation report', async () => {
    const validation = await connector.call('GET', `/tenants/${tenantId}/validation`);
    expect(validation.body).toMatchObject({ tenantId, status: 'active', report: { verdict: 'ready' } });
  });

  it('validates again on demand: a lost role changes the verdict, the status, and tells the core', async () => {
    connector.simulator.control.removeRoleAssignment(
      tenantId,
      app.servicePrincipalId,
      r.teamsAdministrator.id,
    );
    const validated = await connector.call('POST', `/tenants/${tenantId}/validate`);
    expect(validated.status).toBe(200);
    expect(validated.body).toMatchObject({ status: 'action_required', report: { verdict: 'blocked' } });
    await eventually(() => eventsOf('tenant.validation_changed').length === 2);
    expect(eventsOf('tenant.validation_changed')[1]?.data).toEqual({
      tenantId,
      verdict: 'blocked',
      previousVerdict: 'ready',
    });
    const again = await connector.call('POST', `/tenants/${tenantId}/validate`);
    expect(again.body.report.verdict).toBe('blocked');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(eventsOf('tenant.validation_changed')).toHaveLength(2);
  });

  it('marks revoked consent as invalid credentials and tells the core once', async () => {
    connector.simulator.control.revokeConsent(tenantId, app.clientId);
    const first = await connector.call('POST', `/tenants/${tenantId}/validate`);
    expect(first.body).toMatchObject({ status: 'credentials_invalid', problem: { code: 'app_not_found' } });
    await connector.call('POST', `/tenants/${tenantId}/validate`);
    await eventually(() => eventsOf('tenant.credentials_invalid').length > 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(eventsOf('tenant.credentials_invalid')).toHaveLength(1);
    expect(eventsOf('tenant.credentials_invalid')[0]?.data).toMatchObject({
      reason: 'app_not_found',
      serviceId: 'dr-london',
    });
  });

  it.each([
    ['a tenant id that is not a GUID', 'GET', '/tenants/contoso', 400],
    ['an unknown tenant', 'GET', '/tenants/3f2504e0-4f89-41d3-9a0c-0305e82c3301', 404],
    ['validating an unknown tenant', 'POST', '/tenants/3f2504e0-4f89-41d3-9a0c-0305e82c3301/validate', 404],
  ])('answers %s with a problem', async (_, method, path, status) => {
    const response = await connector.call(method, path);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});
