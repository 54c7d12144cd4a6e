import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SampleWorld } from '../../sim/sample-world.js';
import type { Simulator } from '../../sim/server.js';
import { msalClient, pkce, redirectUri, startSampleSimulator } from '../sim/sim-fixture.js';
import { launchChromium, requireChromium, runBrowserTests } from './chromium.js';

let simulator: Simulator;
let world: SampleWorld;
let browser: Browser;

beforeAll(async () => {
  if (!requireChromium()) return;
  ({ simulator, world } = await startSampleSimulator());
  browser = await launchChromium(inject('certificates').cert);
  mkdirSync('test-results', { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await simulator?.stop();
});

describe.skipIf(!runBrowserTests)('simulated Microsoft sign-in in Chromium', () => {
  it('lets a person pick the admin account, accept, and land on the redirect URI with a code that redeems', async () => {
    const client = msalClient(
      simulator,
      'organizations',
      world.provisioningApp.clientId,
      world.provisioningApp.clientSecret,
    );
    const { verifier, challenge } = pkce();
    const scopes = ['openid', 'profile', `${simulator.graphEndpoint}/Application.ReadWrite.All`];
    const url = await client.getAuthCodeUrl({
      scopes,
      redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      state: 'browser-1',
    });

    const page = await browser.newPage();
    let landed: URL | undefined;
    await page.route(`${redirectUri}**`, async (route) => {
      landed = new URL(route.request().url());
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>callback reached</p>' });
    });
    await page.goto(url);
    await expect(page.getByRole('heading', { name: 'Sign in and consent' }).isVisible()).resolves.toBe(true);
    await page.getByLabel(world.tenants[0]?.admin.userPrincipalName as string).check();
    await page.screenshot({ path: 'test-results/sim-sign-in.png', fullPage: true });
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(`${redirectUri}**`);

    expect(landed?.searchParams.get('state')).toBe('browser-1');
    const result = await client.acquireTokenByCode({
      code: landed?.searchParams.get('code') as string,
      scopes,
      redirectUri,
      codeVerifier: verifier,
    });
    expect(result.idTokenClaims).toMatchObject({ tid: world.tenants[0]?.id });
    await page.close();
  });
});
