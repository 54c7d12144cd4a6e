import { randomUUID } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OperatorSample, seedOperator } from '../../../sim/sample-world.js';
import { Simulator } from '../../../sim/server.js';
import { TenantSecretStore, tenantSecretName } from '../../../src/lib/secrets/tenant-secret-store.js';

let simulator: Simulator;
let operator: OperatorSample;
let client: SecretClient;

beforeAll(async () => {
  simulator = await Simulator.start({ certificates: inject('certificates') });
  operator = await seedOperator(simulator);
  const credential = new ClientSecretCredential(
    operator.tenantId,
    operator.connectorIdentity.clientId,
    operator.connectorIdentity.clientSecret,
    {
      authorityHost: simulator.authorityHost,
      disableInstanceDiscovery: true,
    },
  );
  client = new SecretClient(operator.keyVaultUrl, credential, { disableChallengeResourceVerification: true });
});

afterAll(async () => {
  await simulator?.stop();
});

const credentialFor = (tenantId: string) => ({
  tenantId,
  serviceId: 'dr-london',
  clientId: randomUUID(),
  secret: `abc~${randomUUID()}`,
  expiresOn: new Date(Math.floor(Date.now() / 1000 + 90 * 86_400) * 1000),
});

describe('TenantSecretStore against the simulated Key Vault', () => {
  it('stores one secret per tenant per service, with tags and expiry, and reads it back', async () => {
    const store = new TenantSecretStore(client, 0);
    const credential = credentialFor(randomUUID());
    await store.put(credential);
    expect(await store.get(credential.tenantId, credential.serviceId)).toEqual({
      ...credential,
      vaultVersion: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    const raw = await client.getSecret(tenantSecretName(credential.tenantId, credential.serviceId));
    expect(raw.properties.tags).toEqual({
      tenant: credential.tenantId,
      client: credential.clientId,
      service: 'dr-london',
      expiry: credential.expiresOn.toISOString(),
    });
    expect(raw.properties.expiresOn).toEqual(credential.expiresOn);
    expect(raw.properties.contentType).toBe('application/vnd.m365-connector.client-secret');
  });

  it('answers undefined for a tenant it has no secret for', async () => {
    expect(await new TenantSecretStore(client).get(randomUUID(), 'dr-london')).toBeUndefined();
  });

  it('serves reads from its cache within the cache time', async () => {
    const store = new TenantSecretStore(client, 60_000);
    const credential = credentialFor(randomUUID());
    await store.put(credential);
    await client.setSecret(
      tenantSecretName(credential.tenantId, credential.serviceId),
      'changed-behind-its-back',
    );
    expect((await store.get(credential.tenantId, credential.serviceId))?.secret).toBe(credential.secret);
    expect(
      (await new TenantSecretStore(client, 0).get(credential.tenantId, credential.serviceId))?.secret,
    ).toBe('changed-behind-its-back');
  });

  it('deletes, then stores again under the same name (recovering the soft-deleted one first)', async () => {
    const store = new TenantSecretStore(client, 0);
    const credential = credentialFor(randomUUID());
    await store.put(credential);
    await store.delete(credential.tenantId, credential.serviceId);
    expect(await store.get(credential.tenantId, credential.serviceId)).toBeUndefined();
    const again = { ...credential, secret: `new~${randomUUID()}` };
    await store.put(again);
    expect((await store.get(credential.tenantId, credential.serviceId))?.secret).toBe(again.secret);
  });

  it.each([
    ['a service id with a space', randomUUID(), 'dr london'],
    ['an over-long id', 'x'.repeat(130), 'dr'],
  ])('refuses %s as a secret name', (_, tenantId, serviceId) => {
    expect(() => tenantSecretName(tenantId, serviceId)).toThrow(RangeError);
  });
});
