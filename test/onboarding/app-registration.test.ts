import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SampleWorld } from '../../sim/sample-world.js';
import type { Simulator } from '../../sim/server.js';
import { GraphClient } from '../../src/lib/graph/graph-client.js';
import { AppTokenProvider } from '../../src/lib/identity/app-token-provider.js';
import { AppRegistration, registrationName } from '../../src/lib/onboarding/automatic/app-registration.js';
import { delegatedScopes } from '../../src/lib/onboarding/automatic/provisioning-sign-in.js';
import type { OpenInvitation } from '../../src/lib/onboarding/invitation-access.js';
import { OnboardingRefused } from '../../src/lib/onboarding/onboarding-errors.js';
import { TenantSecretStore } from '../../src/lib/secrets/tenant-secret-store.js';
import { EntityTable } from '../../src/lib/storage/entity-table.js';
import type { TenantPartitionRow } from '../../src/lib/tenants/tenant-partition.js';
import { delegatedToken, startSampleSimulator } from '../sim/sim-fixture.js';

let simulator: Simulator;
let world: SampleWorld;

beforeAll(async () => {
  ({ simulator, world } = await startSampleSimulator());
});

afterAll(async () => {
  await simulator?.stop();
});

/** The registration step on its own, against the simulator, without waiting out its backoff. */
function registration() {
  const settings = {
    authorityHost: simulator.authorityHost,
    graphEndpoint: simulator.graphEndpoint,
    customAuthority: true,
  };
  const credential = new ClientSecretCredential(
    world.tenantId,
    world.connectorIdentity.clientId,
    world.connectorIdentity.clientSecret,
    { authorityHost: simulator.authorityHost, disableInstanceDiscovery: true },
  );
  return new AppRegistration({
    graph: new GraphClient({ endpoint: simulator.graphEndpoint }),
    tokens: new AppTokenProvider(settings),
    secrets: new TenantSecretStore(
      new SecretClient(world.keyVaultUrl, credential, { disableChallengeResourceVerification: true }),
    ),
    progress: new EntityTable<TenantPartitionRow>(
      TableClient.fromConnectionString(inject('storageConnectionString'), `reg${randomUUID().slice(0, 8)}`, {
        allowInsecureConnection: true,
      }),
    ),
    publicBaseUrl: 'https://connector.example',
    teamsApis: true,
    sleep: async () => undefined,
  });
}

const invitation = (): OpenInvitation => ({
  id: randomUUID(),
  record: { automaticDns: false } as OpenInvitation['record'],
  services: [{ id: 'dr-1', name: 'One' }],
  customer: { reference: 'R', name: 'Replication Lag Co' },
});

describe('automatic registration while Entra replicates the new service principal', () => {
  it('retries the writes that name it, tells the admin to finish later when it takes too long, and then finishes without a second app', async () => {
    const tenant = world.tenants[0] as SampleWorld['tenants'][number];
    const accessToken = await delegatedToken(simulator, world, tenant.admin.userPrincipalName, [
      ...delegatedScopes,
    ]);
    const admin = { tenantId: tenant.id, userId: '', accessToken };
    const abilities = { canCreateRegistration: true, canGrantAndAssign: true };
    const step = registration();
    const open = invitation();
    const apps = () =>
      [...simulator.directory.applications.values()].filter(
        (app) => app.homeTenantId === tenant.id && app.displayName === registrationName,
      );
    const before = apps().length;

    simulator.control.setGraphConfig({ directoryReplicationMs: 10 * 60_000 });
    const late = await step.register(open, admin, abilities).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(OnboardingRefused);
    expect((late as OnboardingRefused).code).toBe('directory_still_replicating');
    expect(apps()).toHaveLength(before + 1);

    simulator.control.setGraphConfig({ directoryReplicationMs: 0 });
    const done = await step.register(open, admin, abilities);
    expect(apps()).toHaveLength(before + 1);
    const app = apps().at(-1);
    expect(done.clientId).toBe(app?.appId);
    const principal = simulator.directory.tenant(tenant.id).servicePrincipalByAppId(app?.appId ?? '');
    expect(app?.ownerIds).toContain(principal?.id);
  });
});
