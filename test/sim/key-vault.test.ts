import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OperatorSample, seedOperator } from '../../sim/sample-world.js';
import { Simulator } from '../../sim/server.js';

let simulator: Simulator;
let operator: OperatorSample;

const credential = (tenantId: string, clientId: string, clientSecret: string) =>
  new ClientSecretCredential(tenantId, clientId, clientSecret, {
    authorityHost: simulator.authorityHost,
    disableInstanceDiscovery: true,
  });

const clientFor = (tenantId: string, clientId: string, clientSecret: string) =>
  new SecretClient(operator.keyVaultUrl, credential(tenantId, clientId, clientSecret), {
    disableChallengeResourceVerification: true,
  });

beforeAll(async () => {
  simulator = await Simulator.start({ certificates: inject('certificates') });
  operator = await seedOperator(simulator);
});

afterAll(async () => {
  await simulator?.stop();
});

describe('simulated Key Vault through the real SecretClient and ClientSecretCredential', () => {
  const connector = () =>
    clientFor(
      operator.tenantId,
      operator.connectorIdentity.clientId,
      operator.connectorIdentity.clientSecret,
    );

  it('sets and gets a secret with its tags, content type and expiry', async () => {
    const expiresOn = new Date(Math.floor(Date.now() / 1000 + 86_400) * 1000);
    const set = await connector().setSecret('tenant-a-service-1', 's3cr3t-value', {
      tags: { tenant: 'a', service: '1' },
      contentType: 'client-secret',
      expiresOn,
    });
    expect(set.properties.version).toMatch(/^[0-9a-f]{32}$/);
    const got = await connector().getSecret('tenant-a-service-1');
    expect(got.value).toBe('s3cr3t-value');
    expect(got.properties).toMatchObject({
      tags: { tenant: 'a', service: '1' },
      contentType: 'client-secret',
      expiresOn,
      enabled: true,
    });
  });

  it('keeps versions: the latest is returned, an older one by its version', async () => {
    const first = await connector().setSecret('rotating', 'one');
    await connector().setSecret('rotating', 'two');
    expect((await connector().getSecret('rotating')).value).toBe('two');
    expect((await connector().getSecret('rotating', { version: first.properties.version })).value).toBe(
      'one',
    );
  });

  it('lists secrets without their values', async () => {
    await connector().setSecret('listed', 'hidden');
    const names: string[] = [];
    for await (const properties of connector().listPropertiesOfSecrets()) names.push(properties.name);
    expect(names).toContain('listed');
  });

  it('answers SecretNotFound (404) for a missing secret', async () => {
    await expect(connector().getSecret('never-set')).rejects.toMatchObject({
      statusCode: 404,
      code: 'SecretNotFound',
    });
  });

  it('soft-deletes: the name cannot be reused until purged (409)', async () => {
    await connector().setSecret('short-lived', 'x');
    const poller = await connector().beginDeleteSecret('short-lived', { intervalInMs: 10 });
    const deleted = await poller.pollUntilDone();
    expect(deleted.recoveryId).toContain('/deletedsecrets/short-lived');
    await expect(connector().getSecret('short-lived')).rejects.toMatchObject({ statusCode: 404 });
    await expect(connector().setSecret('short-lived', 'again')).rejects.toMatchObject({ statusCode: 409 });
  });

  it('lists the versions of a secret', async () => {
    await connector().setSecret('versioned', 'a');
    await connector().setSecret('versioned', 'b');
    const versions: string[] = [];
    for await (const properties of connector().listPropertiesOfSecretVersions('versioned'))
      versions.push(properties.version ?? '');
    expect(versions).toHaveLength(2);
    expect(new Set(versions).size).toBe(2);
  });

  it('recovers a deleted secret with its value, and purges one so the name can be used again', async () => {
    await connector().setSecret('recoverable', 'keep-me');
    await (await connector().beginDeleteSecret('recoverable', { intervalInMs: 10 })).pollUntilDone();
    const deleted: string[] = [];
    for await (const secret of connector().listDeletedSecrets()) deleted.push(secret.name);
    expect(deleted).toContain('recoverable');
    await (await connector().beginRecoverDeletedSecret('recoverable', { intervalInMs: 10 })).pollUntilDone();
    expect((await connector().getSecret('recoverable')).value).toBe('keep-me');

    await (await connector().beginDeleteSecret('recoverable', { intervalInMs: 10 })).pollUntilDone();
    await connector().purgeDeletedSecret('recoverable');
    await expect(connector().getDeletedSecret('recoverable')).rejects.toMatchObject({ statusCode: 404 });
    expect((await connector().setSecret('recoverable', 'fresh')).value).toBe('fresh');
  });

  it('refuses an app the vault does not allow (403)', async () => {
    const outsider = simulator.directory.addApplication({
      homeTenantId: operator.tenantId,
      displayName: 'outsider',
    });
    const secret = simulator.directory.addPassword(outsider.appId);
    const client = clientFor(operator.tenantId, outsider.appId, secret.secretText);
    await expect(client.getSecret('tenant-a-service-1')).rejects.toMatchObject({
      statusCode: 403,
      code: 'Forbidden',
    });
  });

  it('surfaces a wrong client secret as the Entra error AADSTS7000215', async () => {
    const client = clientFor(operator.tenantId, operator.connectorIdentity.clientId, 'wrong-secret');
    await expect(client.getSecret('anything')).rejects.toThrow(/AADSTS7000215/);
  });
});
