import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { ClientSecretCredential } from '@azure/identity';
import { CertificateClient } from '@azure/keyvault-certificates';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SampleWorld } from '../../sim/sample-world.js';
import type { Simulator } from '../../sim/server.js';
import { GraphClient, GraphError } from '../../src/lib/graph/graph-client.js';
import { AppTokenProvider } from '../../src/lib/identity/app-token-provider.js';
import { KeyVaultAssertions } from '../../src/lib/identity/key-vault-assertions.js';
import { AppRegistration } from '../../src/lib/onboarding/automatic/app-registration.js';
import { delegatedScopes } from '../../src/lib/onboarding/automatic/provisioning-sign-in.js';
import type { OpenInvitation } from '../../src/lib/onboarding/invitation-access.js';
import { OnboardingRefused } from '../../src/lib/onboarding/onboarding-errors.js';
import { registrationName } from '../../src/lib/onboarding/registration-names.js';
import { TenantCertificates } from '../../src/lib/secrets/tenant-certificates.js';
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

/** The registration step on its own, against the simulator, without waiting out its backoff unless given a sleep. */
function registration(sleep: (ms: number) => Promise<void> = async () => undefined) {
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
  const vaultOptions = { disableChallengeResourceVerification: true };
  const assertions = new KeyVaultAssertions(credential, vaultOptions);
  return new AppRegistration({
    graph: new GraphClient({ endpoint: simulator.graphEndpoint }),
    tokens: new AppTokenProvider(settings, assertions),
    assertions,
    secrets: new TenantSecretStore(new SecretClient(world.keyVaultUrl, credential, vaultOptions)),
    certificates: new TenantCertificates(
      new CertificateClient(world.keyVaultUrl, credential, vaultOptions),
      50,
    ),
    progress: new EntityTable<TenantPartitionRow>(
      TableClient.fromConnectionString(inject('storageConnectionString'), `reg${randomUUID().slice(0, 8)}`, {
        allowInsecureConnection: true,
      }),
    ),
    publicBaseUrl: 'https://connector.example',
    teamsApis: true,
    sleep,
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

describe('automatic registration while Entra replicates the new app', () => {
  it('waits out "does not reference a valid application object" when it makes the service principal', async () => {
    const tenant = world.tenants[0] as SampleWorld['tenants'][number];
    const accessToken = await delegatedToken(simulator, world, tenant.admin.userPrincipalName, [
      ...delegatedScopes,
    ]);
    const slept: number[] = [];
    const step = registration(async (ms) => {
      slept.push(ms);
      await new Promise((resolve) => setTimeout(resolve, ms));
    });
    simulator.control.setGraphConfig({ directoryReplicationMs: 1_500 });
    try {
      const done = await step.register(
        invitation(),
        { tenantId: tenant.id, userId: '', accessToken },
        { canCreateRegistration: true, canGrantAndAssign: true },
      );
      const principal = simulator.directory.tenant(tenant.id).servicePrincipalByAppId(done.clientId);
      expect(principal).toBeDefined();
      expect(simulator.directory.applications.get(done.clientId)?.ownerIds).toContain(principal?.id);
      expect(slept.slice(0, 1)).toEqual([1000]);
    } finally {
      simulator.control.setGraphConfig({ directoryReplicationMs: 0 });
    }
  }, 60_000);
});

describe('automatic registration in a tenant whose policy forbids client secrets', () => {
  it('gives each service a non-exportable Key Vault certificate on the app, proven with a Key Vault-signed assertion', async () => {
    const tenant = world.tenants[0] as SampleWorld['tenants'][number];
    const accessToken = await delegatedToken(simulator, world, tenant.admin.userPrincipalName, [
      ...delegatedScopes,
    ]);
    const admin = { tenantId: tenant.id, userId: '', accessToken };
    const abilities = { canCreateRegistration: true, canGrantAndAssign: true };
    const open = {
      ...invitation(),
      services: [
        { id: 'cert-1', name: 'One' },
        { id: 'cert-2', name: 'Two' },
      ],
    };
    simulator.control.setPolicies(tenant.id, { passwordsForbidden: true });
    try {
      const done = await registration().register(open, admin, abilities);
      const app = simulator.directory.applications.get(done.clientId);
      expect(app?.passwordCredentials).toHaveLength(0);
      expect(app?.keyCredentials.map((key) => key.displayName)).toEqual([
        'Live Platform service cert-1',
        'Live Platform service cert-2',
      ]);
      expect(done.facts.grantedPermissions.length).toBeGreaterThan(0);
      const vault = simulator.vaults.get('connector')?.vault;
      for (const serviceId of ['cert-1', 'cert-2']) {
        const certificate = vault?.certificates.get(`tenantcert-${tenant.id}-${serviceId}`);
        expect(certificate?.versions).toHaveLength(1);
        expect(certificate?.versions[0]?.policy.key_props?.exportable).toBe(false);
        const entry = vault?.secrets.get(`tenant-${tenant.id}-${serviceId}`)?.versions.at(-1);
        expect(entry?.contentType).toBe('application/vnd.m365-connector.certificate-ref+json');
        expect(entry?.value).not.toMatch(/PRIVATE KEY/);
        const registered = app?.keyCredentials.find((key) => key.displayName.endsWith(serviceId));
        expect(registered?.der.equals(certificate?.versions[0]?.der ?? Buffer.alloc(0))).toBe(true);
      }
    } finally {
      simulator.control.setPolicies(tenant.id, { passwordsForbidden: false });
    }
  });
});

describe('automatic registration when a certificate write fails for another reason', () => {
  it('does not read a 400 that is not the policy as the tenant refusing certificates: the app stays, a retry finishes', async () => {
    const tenant = world.tenants[0] as SampleWorld['tenants'][number];
    const accessToken = await delegatedToken(simulator, world, tenant.admin.userPrincipalName, [
      ...delegatedScopes,
    ]);
    const admin = { tenantId: tenant.id, userId: '', accessToken };
    const abilities = { canCreateRegistration: true, canGrantAndAssign: true };
    const open = { ...invitation(), services: [{ id: 'cert-x', name: 'X' }] };
    const step = registration();
    simulator.control.setPolicies(tenant.id, { passwordsForbidden: true });
    simulator.control.injectFault({
      path: '^/graph/v1\\.0/applications/[^/(]+$',
      method: 'PATCH',
      status: 400,
      count: 1,
    });
    try {
      const failed = await step.register(open, admin, abilities).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(GraphError);
      expect(failed).toMatchObject({ status: 400 });
      const done = await step.register(open, admin, abilities);
      const app = simulator.directory.applications.get(done.clientId);
      const [key] = app?.keyCredentials ?? [];
      // The key id kept is Entra's own, read back after the PATCH.
      const entry = simulator.vaults
        .get('connector')
        ?.vault.secrets.get(`tenant-${tenant.id}-cert-x`)
        ?.versions.at(-1);
      expect(entry?.tags.keyId).toBe(key?.keyId);
    } finally {
      simulator.control.clearFaults();
      simulator.control.setPolicies(tenant.id, { passwordsForbidden: false });
    }
  });
});
