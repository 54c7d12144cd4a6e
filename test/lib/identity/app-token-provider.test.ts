import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleWorld } from '../../../sim/sample-world.js';
import type { Simulator } from '../../../sim/server.js';
import { AppTokenProvider } from '../../../src/lib/identity/app-token-provider.js';
import { claimsOf, registerCustomerApp, startSampleSimulator } from '../../sim/sim-fixture.js';

let simulator: Simulator;
let world: SampleWorld;

beforeAll(async () => {
  ({ simulator, world } = await startSampleSimulator());
});
afterAll(async () => {
  await simulator?.stop();
});

const teamsScope = '48ac35b8-9aa8-4d74-927d-1f4a14a0b239/.default';

describe('AppTokenProvider.handOut (through MSAL and the simulated Entra)', () => {
  it('hands out the cached token while it has the minimum left, and a new one once it has less', async () => {
    const tenantId = (world.tenants[0] as { id: string }).id;
    const { clientId, clientSecret } = registerCustomerApp(simulator, tenantId, ['User.Read.All']);
    const tokens = new AppTokenProvider({
      authorityHost: simulator.authorityHost,
      graphEndpoint: simulator.graphEndpoint,
      customAuthority: true,
    });
    const credential = { tenantId, clientId, secret: clientSecret };
    const tenMinutes = 600_000;
    const first = await tokens.handOut(credential, teamsScope, tenMinutes);
    expect(claimsOf(first.accessToken)).toMatchObject({
      aud: '48ac35b8-9aa8-4d74-927d-1f4a14a0b239',
      tid: tenantId,
    });
    expect(first.expiresOn.getTime() - Date.now()).toBeGreaterThan(50 * 60_000);
    const again = await tokens.handOut(credential, teamsScope, tenMinutes);
    expect(again.accessToken).toBe(first.accessToken);

    // Asked when the cached one has under ten minutes left: a new one, not the one about to end.
    const late = first.expiresOn.getTime() - 5 * 60_000;
    const renewed = await tokens.handOut(credential, teamsScope, tenMinutes, late);
    expect(renewed.accessToken).not.toBe(first.accessToken);
    // The Graph token of the same app is a token of its own.
    const graph = await tokens.token(credential);
    expect(claimsOf(graph.accessToken).aud).toBe(simulator.graphEndpoint);
  });
});
