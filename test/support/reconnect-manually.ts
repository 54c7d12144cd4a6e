import { expect } from 'vitest';
import { PageSession } from './browserless.js';
import type { ConnectorFixture } from './connector-fixture.js';

/** A manual reconnect link for the tenant (what the core asks for and sends the customer's admin). */
export async function manualReconnectLink(connector: ConnectorFixture, tenantId: string): Promise<string> {
  const created = await connector.call('POST', `/tenants/${tenantId}/reconnect`, {
    body: { method: 'manual' },
  });
  expect(created.status).toBe(201);
  return new URL(created.body.url).pathname;
}

/** The customer's admin enters a secret of the tenant's app on the reconnect page at `path`; the page's answer. */
export async function enterSecret(
  connector: ConnectorFixture,
  path: string,
  fields: { tenantId: string; clientId: string; clientSecret: string },
): Promise<{ status: number; html: string }> {
  const session = new PageSession(connector.publicBaseUrl);
  const landing = await session.get(path);
  return session.post(`${path}/manual`, { form: PageSession.formToken(landing.html), ...fields });
}
