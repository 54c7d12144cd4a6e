import { constants, createHash, verify, X509Certificate } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { CertificateClient } from '@azure/keyvault-certificates';
import { CryptographyClient } from '@azure/keyvault-keys';
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

describe('simulated Key Vault certificates and keys through the real CertificateClient and CryptographyClient', () => {
  const identity = () =>
    credential(
      operator.tenantId,
      operator.connectorIdentity.clientId,
      operator.connectorIdentity.clientSecret,
    );
  const certificates = () =>
    new CertificateClient(operator.keyVaultUrl, identity(), { disableChallengeResourceVerification: true });
  const policy = {
    issuerName: 'Self',
    subject: 'CN=sim test',
    keyType: 'RSA' as const,
    keySize: 2048,
    exportable: false,
    validityInMonths: 6,
  };

  it('makes a self-signed certificate whose non-exportable key signs digests the certificate verifies', async () => {
    const poller = await certificates().beginCreateCertificate('cert-a', policy, { intervalInMs: 20 });
    const made = await poller.pollUntilDone();
    expect(made.policy?.exportable).toBe(false);
    const x509 = new X509Certificate(Buffer.from(made.cer ?? new Uint8Array()));
    expect(x509.subject).toBe('CN=sim test');
    expect(made.properties.expiresOn?.getTime()).toBe(new Date(x509.validTo).getTime());

    const digest = createHash('sha256').update('signed in Key Vault').digest();
    const signer = new CryptographyClient(made.keyId ?? '', identity(), {
      disableChallengeResourceVerification: true,
    });
    for (const algorithm of ['PS256', 'RS256'] as const) {
      const { result } = await signer.sign(algorithm, digest);
      const valid = verify(
        'sha256',
        Buffer.from('signed in Key Vault'),
        algorithm === 'PS256'
          ? { key: x509.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
          : x509.publicKey,
        Buffer.from(result),
      );
      expect(valid, algorithm).toBe(true);
    }
  });

  it('answers a creation as pending for a while, refusing a second one meanwhile, and a deleted name until it is recovered', async () => {
    const client = certificates();
    const first = await client.beginCreateCertificate('cert-b', policy, { intervalInMs: 20 });
    const second = await client
      .beginCreateCertificate('cert-b', policy, { intervalInMs: 20 })
      .catch((error: { statusCode?: number }) => error);
    expect((second as { statusCode?: number }).statusCode).toBe(409);
    await first.pollUntilDone();
    await (await client.beginDeleteCertificate('cert-b', { intervalInMs: 20 })).pollUntilDone();
    const reused = await client
      .beginCreateCertificate('cert-b', policy)
      .catch((error: { statusCode?: number; message?: string }) => error);
    expect((reused as { statusCode?: number }).statusCode).toBe(409);
    await (await client.beginRecoverDeletedCertificate('cert-b', { intervalInMs: 20 })).pollUntilDone();
    expect((await client.getCertificate('cert-b')).properties.enabled).toBe(true);
  });
});
