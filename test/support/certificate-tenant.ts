import { expect } from 'vitest';
import type { SimApplication } from '../../sim/directory.js';
import { signIn } from '../sim/sim-fixture.js';
import { PageSession } from './browserless.js';
import type { ConnectorFixture } from './connector-fixture.js';
import { tenantWithAdmin } from './tenant-with-admin.js';

let tenants = 0;

/** The admin's round trip through an invitation link (automatic onboarding); the result page. */
export async function onboardBySignIn(connector: ConnectorFixture, path: string, upn: string) {
  const session = new PageSession(connector.publicBaseUrl);
  const start = await session.get(`${path}/sign-in`);
  expect(start.status).toBe(302);
  const back = await signIn(start.headers.get('location') as string, upn, 'accept');
  return session.get(back.toString());
}

/**
 * A small tenant of its own onboarded automatically by a Global Administrator with `credential: certificate`: one
 * service, dr-london, on a Key Vault certificate; the app owns itself and holds Application.ReadWrite.OwnedBy.
 */
export async function certificateTenant(connector: ConnectorFixture) {
  tenants += 1;
  const alias = `cert${tenants}`;
  const { id: tenantId, admin } = tenantWithAdmin(connector, {
    name: `Certificate Tenant ${process.pid} ${tenants}`,
    alias,
    seed: process.pid * 100 + 50 + tenants,
  });
  const invitation = await connector.call('POST', '/invitations', {
    body: {
      customer: { reference: `C-${alias}`, name: 'Certificate Customer' },
      services: [{ id: 'dr-london', name: 'Direct Routing London' }],
      licenceType: 'HostedPro',
      method: 'automatic',
      credential: 'certificate',
    },
  });
  expect(invitation.status).toBe(201);
  const page = await onboardBySignIn(connector, new URL(invitation.body.url).pathname, admin);
  expect(page.status).toBe(200);
  const { clientId } = (await connector.call('GET', `/tenants/${tenantId}`)).body;
  const app = connector.simulator.directory.applications.get(clientId) as SimApplication;
  return { tenantId, clientId, app, page };
}
