import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { directoryRoles as r } from '../../src/lib/validation/directory-roles.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { ConnectorFixture } from '../support/connector-fixture.js';
import { tenantWithAdmin } from '../support/tenant-with-admin.js';
import { launchChromium, requireChromium, runBrowserTests } from './chromium.js';

let connector: ConnectorFixture;
let browser: Browser;

beforeAll(async () => {
  if (!requireChromium()) return;
  connector = await ConnectorFixture.start();
  browser = await launchChromium(inject('certificates').cert);
  mkdirSync('test-results', { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await connector?.stop();
});

async function invitationUrl(overrides: Record<string, unknown> = {}): Promise<string> {
  const created = await connector.call('POST', '/invitations', {
    body: {
      customer: { reference: 'B-1', name: 'Browser Customer' },
      services: [{ id: 'dr-1', name: 'Direct Routing' }],
      licenceType: 'HostedPro',
      ...overrides,
    },
  });
  return created.body.url;
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/${name}.png`, fullPage: true });
}

/** Microsoft's side: pick the account, then accept or cancel. */
async function microsoftSignIn(page: Page, upn: string, button: 'Accept' | 'Cancel' = 'Accept') {
  await page.getByRole('heading', { name: 'Sign in and consent' }).waitFor();
  await page.getByLabel(upn).check();
  await page.getByRole('button', { name: button }).click();
}

describe.skipIf(!runBrowserTests)('onboarding in Chromium', () => {
  it('automatic path: invitation, landing page, Microsoft sign-in and consent, result with the validation report', async () => {
    const gail = connector.world.tenants[0] as { id: string; admin: { userPrincipalName: string } };
    const page = await browser.newPage();
    await page.goto(await invitationUrl({ method: 'automatic' }));
    await expect(
      page.getByRole('heading', { name: 'Connect Browser Customer to the Live Platform' }).isVisible(),
    ).resolves.toBe(true);
    await shot(page, 'onboarding-1-landing');
    await page.getByRole('link', { name: 'Sign in with Microsoft' }).click();
    await shot(page, 'onboarding-2-microsoft');
    await microsoftSignIn(page, gail.admin.userPrincipalName);
    await page.getByText('Ready: the connection works and holds what it needs.').waitFor();
    await shot(page, 'onboarding-3-result');
    await expect(page.getByRole('cell', { name: 'Teams Administrator' }).first().isVisible()).resolves.toBe(
      true,
    );
    await expect(page.getByRole('button', { name: 'Check again' }).isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.getByText('Ready: the connection works').waitFor();
    await page.close();
  });

  it('Application Administrator only: the app is created and the next steps are shown', async () => {
    const andy = connector.world.tenants[1] as { id: string; admin: { userPrincipalName: string } };
    const page = await browser.newPage();
    await page.goto(await invitationUrl({ method: 'automatic' }));
    await page.getByRole('link', { name: 'Sign in with Microsoft' }).click();
    await microsoftSignIn(page, andy.admin.userPrincipalName);
    await page.getByRole('heading', { name: 'Next steps' }).waitFor();
    await shot(page, 'onboarding-app-admin-next-steps');
    await expect(
      page.getByRole('link', { name: 'Grant admin consent for the app' }).isVisible(),
    ).resolves.toBe(true);
    await expect(page.getByText('Assign Teams Administrator to the app').first().isVisible()).resolves.toBe(
      true,
    );
    await page.close();
  });

  it('manual path: a wrong secret shows what to fix; the right one connects', async () => {
    const tenantId = connector.simulator.control.generateTenant({
      displayName: 'Manual Co',
      domain: 'manualco.onmicrosoft.com',
      seed: 21,
      sizes: { users: 2 },
    }).id;
    const app = connector.simulator.directory.addApplication({
      homeTenantId: tenantId,
      displayName: 'Live Platform Connector',
    });
    const secret = connector.simulator.directory.addPassword(app.appId);
    connector.simulator.control.grantGraphPermissions(tenantId, app.appId, [
      ...requiredPermissions.replication,
      ...requiredPermissions.selfRotation,
    ]);
    const principal = connector.simulator.directory.tenant(tenantId).servicePrincipalByAppId(app.appId);
    connector.simulator.control.assignRole(tenantId, principal?.id as string, r.teamsAdministrator.id);
    // Its own owner, as the page asks.
    app.ownerIds.push(principal?.id as string);

    const page = await browser.newPage();
    await page.goto(await invitationUrl({ method: 'manual' }));
    await page.getByLabel('Directory (tenant) ID').fill(tenantId);
    await page.getByLabel('Application (client) ID').fill(app.appId);
    await page.getByLabel('Client secret value').fill('abc~this-is-not-it');
    await page.getByRole('button', { name: 'Check and connect' }).click();
    await page.getByText('The client secret is not right.').waitFor();
    await shot(page, 'onboarding-manual-wrong-secret');
    await expect(page.getByLabel('Application (client) ID').inputValue()).resolves.toBe(app.appId);
    await expect(page.getByLabel('Client secret value').inputValue()).resolves.toBe('');
    await page.getByLabel('Client secret value').fill(secret.secretText);
    await page.getByRole('button', { name: 'Check and connect' }).click();
    await page.getByText('Ready: the connection works and holds what it needs.').waitFor();
    await shot(page, 'onboarding-manual-connected');
    await expect(page.content()).resolves.not.toContain(secret.secretText);
    await page.close();
  });

  it('declined consent: a clear page, nothing created', async () => {
    const tenant = tenantWithAdmin(connector, { name: 'Decline Co', alias: 'dee', seed: 22 });
    const page = await browser.newPage();
    await page.goto(await invitationUrl({ method: 'automatic' }));
    await page.getByRole('link', { name: 'Sign in with Microsoft' }).click();
    await microsoftSignIn(page, 'dee@declineco.onmicrosoft.com', 'Cancel');
    await page.getByRole('heading', { name: 'Consent declined' }).waitFor();
    await shot(page, 'onboarding-declined');
    expect(
      [...connector.simulator.directory.applications.values()].filter(
        (app) => app.homeTenantId === tenant.id,
      ),
    ).toHaveLength(0);
    await page.close();
  });
});
