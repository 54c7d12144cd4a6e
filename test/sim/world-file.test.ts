import { createSign, createVerify, type KeyObject, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { selfSignedVersion } from '../../sim/keyvault/vault.js';
import { Simulator } from '../../sim/server.js';
import { loadWorld, saveWorld } from '../../sim/world-file.js';
import { appToken, graphFetch, registerCustomerApp, startSampleSimulator } from './sim-fixture.js';

const folder = mkdtempSync(join(tmpdir(), 'sim-world-'));
const started: Simulator[] = [];

afterAll(async () => {
  await Promise.all(started.map((simulator) => simulator.stop()));
  rmSync(folder, { recursive: true, force: true });
});

/** Pages a delta query to its delta link; the entries' ids. */
async function delta(graph: ReturnType<typeof graphFetch>, url: string) {
  const ids: string[] = [];
  let next: string | undefined = url;
  for (;;) {
    const page = (await graph(next)).body as {
      value: { id: string }[];
      '@odata.nextLink'?: string;
      '@odata.deltaLink'?: string;
    };
    ids.push(...page.value.map((entry) => entry.id));
    if (page['@odata.nextLink']) next = page['@odata.nextLink'];
    else return { ids, deltaLink: page['@odata.deltaLink'] as string };
  }
}

describe('the simulated world in a file (npm start --persist)', () => {
  it('comes back whole in a new simulator: tenants, apps and their secrets, vaults, and delta links that go on', async () => {
    const { simulator, world } = await startSampleSimulator();
    started.push(simulator);
    const summary = simulator.control.generateTenant({
      displayName: 'Kept Co',
      domain: 'keptco.onmicrosoft.com',
      seed: 5,
      sizes: { users: 12, groups: 2, membershipsPerUser: 1 },
    });
    const app = registerCustomerApp(simulator, summary.id, ['User.Read.All']);
    const before = graphFetch(
      simulator,
      await appToken(simulator, summary.id, app.clientId, app.clientSecret),
    );
    const { deltaLink } = await delta(before, '/users/delta?$select=displayName');
    const tenant = simulator.directory.tenant(summary.id);
    const renamed = tenant.userOrder[2] as string;
    simulator.control.updateUser(summary.id, renamed, { displayName: 'Renamed Before The Restart' });
    simulator.vaults.get('connector')?.vault.put('kept-secret', { value: 'still here' });
    // A certificate tenant's Key Vault certificate, its private key included (it signs the client assertions).
    const certificate = await selfSignedVersion(
      { x509_props: { subject: 'CN=kept' } },
      { tenant: summary.id },
    );
    simulator.vaults
      .get('connector')
      ?.vault.certificates.set('kept-certificate', { versions: [certificate] });
    const path = join(folder, 'simulator-world.json');
    saveWorld(path, simulator, world);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const again = await Simulator.start({ certificates: inject('certificates') });
    started.push(again);
    const restored = await loadWorld(path, again);
    expect(restored?.connectorIdentity).toEqual(world.connectorIdentity);
    expect(restored?.keyVaultUrl).toBe(again.keyVaultUrl('connector'));
    expect(again.control.tenants()).toEqual(simulator.control.tenants());
    expect(again.vaults.get('connector')?.vault.secrets.get('kept-secret')?.versions.at(-1)?.value).toBe(
      'still here',
    );
    expect(
      again.directory.applications.get(app.clientId)?.passwordCredentials[0]?.endDateTime,
    ).toBeInstanceOf(Date);
    const kept = again.vaults.get('connector')?.vault.certificates.get('kept-certificate')?.versions[0];
    expect(kept?.der.equals(certificate.der)).toBe(true);
    const signed = createSign('sha256')
      .update('proof')
      .sign(kept?.privateKey as KeyObject);
    expect(
      createVerify('sha256').update('proof').verify(new X509Certificate(certificate.der).publicKey, signed),
    ).toBe(true);

    // The app's secret still works there, and the delta link from before the restart reads only the change since.
    const after = graphFetch(again, await appToken(again, summary.id, app.clientId, app.clientSecret));
    const moved = deltaLink.replace(simulator.graphEndpoint, again.graphEndpoint);
    expect((await delta(after, moved)).ids).toEqual([renamed]);
  });

  it('is absent until saved', async () => {
    const simulator = await Simulator.start({ certificates: inject('certificates') });
    started.push(simulator);
    expect(await loadWorld(join(folder, 'nothing-here.json'), simulator)).toBeUndefined();
  });
});
