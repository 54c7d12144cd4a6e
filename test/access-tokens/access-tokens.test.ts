import { describe, expect, it } from 'vitest';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { directoryRoles as r } from '../../src/lib/validation/directory-roles.js';
import { PageSession } from '../support/browserless.js';
import { certificateTenant, onboardBySignIn } from '../support/certificate-tenant.js';
import { until } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { tenantWithAdmin } from '../support/tenant-with-admin.js';
import { useConnector } from '../support/use-connector.js';

const limitPerHour = 5;
const connector = useConnector({ ACCESS_TOKEN_REQUESTS_PER_HOUR: String(limitPerHour) });
const teamsAdminApi = '48ac35b8-9aa8-4d74-927d-1f4a14a0b239';

/** Every token value the connector handed out in this file: none may be found anywhere it keeps or sends. */
const handedOut: string[] = [];
/** Every page a person saw in this file. */
const pagesSeen: string[] = [];

type Issued = {
  resource: string;
  audience: string;
  accessToken: string;
  expiresAt: string;
  expiresInSeconds: number;
};

async function askFor(tenantId: string, serviceId: string, resources?: string[]) {
  const answer = await connector.call('POST', `/tenants/${tenantId}/services/${serviceId}/access-tokens`, {
    body: resources ? { resources } : {},
  });
  for (const token of (answer.body?.tokens ?? []) as Issued[]) handedOut.push(token.accessToken);
  return answer;
}

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/** What Teams PowerShell's Get-CsTenant would get with the token (the simulator's Teams admin API). */
const teamsAdminCall = (tenantId: string, token: string) =>
  fetch(`${connector.simulator.authorityHost}/teams-admin/tenants/${tenantId}`, {
    headers: { authorization: `Bearer ${token}` },
  });

let seed = 3100;
function automaticTenant(alias: string) {
  seed += 1;
  return tenantWithAdmin(connector, { name: `Tokens ${alias} ${process.pid}`, alias, seed });
}

describe('short-lived access tokens for the platform', () => {
  it('gives each service of an automatically onboarded tenant both tokens, minted with its own secret, which Graph and the Teams admin API take', async () => {
    const { id: tenantId, admin } = automaticTenant('auto');
    const invitation = await connector.call('POST', '/invitations', {
      body: {
        customer: { reference: 'C-tok', name: 'Tokens Customer' },
        services: [
          { id: 'dr-london', name: 'Direct Routing London' },
          { id: 'dr-paris', name: 'Direct Routing Paris' },
        ],
        licenceType: 'HostedPro',
        method: 'automatic',
      },
    });
    expect((await onboardBySignIn(connector, new URL(invitation.body.url).pathname, admin)).status).toBe(200);
    const { clientId } = (await connector.call('GET', `/tenants/${tenantId}`)).body;

    for (const serviceId of ['dr-london', 'dr-paris']) {
      const answer = await askFor(tenantId, serviceId);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const [graph, teams] = answer.body.tokens as Issued[];
      expect(graph).toMatchObject({ resource: 'graph', audience: connector.simulator.graphEndpoint });
      expect(teams).toMatchObject({ resource: 'teams', audience: teamsAdminApi });
      for (const token of [graph, teams]) {
        expect(token?.expiresInSeconds).toBeGreaterThanOrEqual(600);
        expect(claimsOf(token?.accessToken ?? '')).toMatchObject({
          tid: tenantId,
          appid: clientId,
          appidacr: '1',
        });
      }
      expect(claimsOf(teams?.accessToken ?? '').wids).toContain(r.teamsAdministrator.id);

      const teamsCall = await teamsAdminCall(tenantId, teams?.accessToken ?? '');
      expect(teamsCall.status).toBe(200);
      expect(((await teamsCall.json()) as { TenantId: string }).TenantId).toBe(tenantId);
      const graphCall = await fetch(`${connector.simulator.graphEndpoint}/v1.0/users?$top=1`, {
        headers: { authorization: `Bearer ${graph?.accessToken}` },
      });
      expect(graphCall.status).toBe(200);
      await graphCall.body?.cancel();
      // The Teams admin API does not take a Graph token.
      expect((await teamsAdminCall(tenantId, graph?.accessToken ?? '')).status).toBe(401);
    }

    const view = (await connector.call('GET', `/tenants/${tenantId}`)).body;
    expect(view.accessTokens).toMatchObject({ issued: 2, requestsThisHour: 2, limitPerHour });
    const audit = (await connector.rows(tableNames.audit)).filter(
      (entry) => entry.tenantId === tenantId && entry.action === 'access_tokens.issue',
    );
    expect(audit.map((entry) => entry.outcome)).toEqual(['succeeded', 'succeeded']);
    expect(String(audit[0]?.detail)).toMatch(
      /^service dr-london; resources graph, teams; request \S+; graph until /,
    );
  }, 90_000);

  it('mints a certificate service’s tokens with a Key Vault-signed assertion', async () => {
    const { tenantId } = await certificateTenant(connector);
    const answer = await askFor(tenantId, 'dr-london', ['teams']);
    expect(answer.status).toBe(200);
    const [teams] = answer.body.tokens as Issued[];
    expect(teams?.resource).toBe('teams');
    expect(claimsOf(teams?.accessToken ?? '')).toMatchObject({ tid: tenantId, appidacr: '2' });
    expect((await teamsAdminCall(tenantId, teams?.accessToken ?? '')).status).toBe(200);
  }, 90_000);

  it('refuses teams tokens, issuing nothing, while the app lacks the Teams role: names it and links the page that says what to assign', async () => {
    const { tenantId, servicePrincipalId } = await selfManagedTenant(connector, { quiet: true });
    // The platform's token from before the role went is refused by the Teams admin API itself.
    const before = await askFor(tenantId, 'dr-london', ['teams']);
    expect(before.status).toBe(200);
    connector.simulator.control.removeRoleAssignment(tenantId, servicePrincipalId, r.teamsAdministrator.id);
    expect((await teamsAdminCall(tenantId, before.body.tokens[0].accessToken)).status).toBe(403);

    const refused = await askFor(tenantId, 'dr-london');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      type: expect.stringMatching(/teams_roles_missing$/),
      missingRoles: ['Teams Administrator'],
    });
    expect(refused.body.detail).toContain('Nothing was issued');
    expect(refused.body.tokens).toBeUndefined();
    const page = await new PageSession(connector.host.url).get(new URL(refused.body.guidanceUrl).pathname);
    pagesSeen.push(page.html);
    expect(page.status).toBe(200);
    expect(page.html).toContain('A Teams role for the telephony management of');
    expect(page.html).toContain('Teams Administrator');

    // Graph alone needs no Teams role.
    expect((await askFor(tenantId, 'dr-london', ['graph'])).status).toBe(200);
    // The pair does as well as Teams Administrator.
    for (const role of [r.teamsTelephonyAdministrator.id, r.skypeForBusinessAdministrator.id])
      connector.simulator.control.assignRole(tenantId, servicePrincipalId, role);
    const paired = await askFor(tenantId, 'dr-london', ['teams']);
    expect(paired.status).toBe(200);
    expect((await teamsAdminCall(tenantId, paired.body.tokens[0].accessToken)).status).toBe(200);
    const checked = await new PageSession(connector.host.url).get(new URL(refused.body.guidanceUrl).pathname);
    pagesSeen.push(checked.html);
    expect(checked.html).toContain('The Teams role is in place');
    const audit = (await connector.rows(tableNames.audit)).filter(
      (entry) => entry.tenantId === tenantId && entry.action === 'access_tokens.issue',
    );
    expect(audit.map((entry) => entry.outcome)).toEqual(['succeeded', 'refused', 'succeeded', 'succeeded']);
  }, 90_000);

  it('refuses an unknown tenant or service, a tenant whose credentials no longer work and an offboarded one', async () => {
    const { tenantId, clientId } = await selfManagedTenant(connector, { quiet: true });
    expect((await askFor('00000000-0000-4000-8000-000000000001', 'dr-london')).status).toBe(404);
    const unknownService = await askFor(tenantId, 'dr-nowhere');
    expect(unknownService.status).toBe(404);
    expect(unknownService.body.type).toMatch(/service_not_found$/);
    const badBody = await askFor(tenantId, 'dr-london', ['exchange']);
    expect(badBody.status).toBe(400);

    const app = connector.simulator.directory.applications.get(clientId);
    if (app) app.passwordCredentials = [];
    expect((await connector.call('POST', `/tenants/${tenantId}/validate`)).status).toBe(200);
    const invalid = await askFor(tenantId, 'dr-london');
    expect(invalid.status).toBe(409);
    expect(invalid.body.detail).toContain('its credentials no longer work');
    expect(invalid.body.detail).toContain('reconnect');

    const offboarded = await connector.call('DELETE', `/tenants/${tenantId}`, {
      body: { tenantId: tenantId },
    });
    expect(offboarded.status).toBe(202);
    const leaving = await askFor(tenantId, 'dr-london');
    expect(leaving.status).toBe(409);
    expect(leaving.body.detail).toMatch(/being offboarded|offboarded/);
    await until(
      async () => (await connector.call('GET', `/tenants/${tenantId}`)).body.status,
      (status) => status === 'offboarded',
      60_000,
    );
    const gone = await askFor(tenantId, 'dr-london');
    expect(gone.status).toBe(409);
    expect(gone.body.detail).toContain('it is offboarded. A new invitation brings it back.');
    const customerPage = await new PageSession(connector.host.url).get(
      new URL(offboarded.body.customerPage).pathname,
    );
    pagesSeen.push(customerPage.html);
  }, 90_000);

  it('holds the hourly limit under a burst: the requests over it get 429 with Retry-After, none fails', async () => {
    const { tenantId } = await selfManagedTenant(connector, { quiet: true });
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => askFor(tenantId, 'dr-london', ['graph'])),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([...Array(limitPerHour).fill(200), ...Array(12 - limitPerHour).fill(429)]);
    const limited = answers.find((answer) => answer.status === 429);
    const retryAfter = Number(limited?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3000);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(limited?.body).toMatchObject({ retryAfterSeconds: retryAfter, limitPerHour });
    const view = (await connector.call('GET', `/tenants/${tenantId}`)).body;
    expect(view.accessTokens).toMatchObject({ issued: limitPerHour, requestsThisHour: limitPerHour });
  }, 90_000);

  it('never lets a token it handed out reach a log line, a table, an event or a page', async () => {
    expect(handedOut.length).toBeGreaterThan(10);
    expect(pagesSeen.length).toBe(3);
    const everywhere = JSON.stringify([
      connector.logs,
      connector.standIn.events,
      pagesSeen,
      await connector.rows(tableNames.tenants),
      await connector.rows(tableNames.audit),
      await connector.rows(tableNames.roleGuidanceLinks),
      await connector.rows(tableNames.coreDelivery),
    ]);
    for (const token of handedOut) {
      expect(everywhere).not.toContain(token);
      expect(everywhere).not.toContain(token.split('.')[2]);
    }
  });
});
