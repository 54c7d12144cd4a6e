import { createHash } from 'node:crypto';
import { isRestError } from '@azure/core-rest-pipeline';
import type { CertificateClient, KeyVaultCertificate } from '@azure/keyvault-certificates';
import type { VaultCertificate } from '../identity/app-credential.js';
import type { TenantCredential } from './tenant-secret-store.js';
import { vaultErrorCodes, vaultUnavailable } from './vault-unavailable.js';

/**
 * Key Vault name of a tenant's certificate for a service: `tenantcert-{tenantId}-{serviceId}`. Key Vault gives a
 * certificate a key and a secret of its own name, so it must not share a name with the service's secret.
 */
export function tenantCertificateName(tenantId: string, serviceId: string): string {
  const name = `tenantcert-${tenantId}-${serviceId}`;
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name))
    throw new RangeError('A tenant or service id does not fit in a Key Vault certificate name.');
  return name;
}

/** A certificate credential: the secret's place is taken by the certificate. */
export type TenantCertificate = TenantCredential & { certificate: VaultCertificate };

/** Entra names a certificate on an app by its SHA-1 thumbprint (`customKeyIdentifier`, upper-case hex). */
export const certificateThumbprint = (certificate: VaultCertificate) =>
  createHash('sha1').update(Buffer.from(certificate.certificate, 'base64')).digest('hex').toUpperCase();

const validityMonths = 12;

/**
 * Certificates of customer tenants' app registrations, made by Key Vault with a self-signed policy and a
 * non-exportable RSA key: the private key never exists outside the vault, which signs with it
 * (KeyVaultAssertions). One certificate per tenant per service; a rotation is a new version.
 */
export class TenantCertificates {
  constructor(
    private readonly client: CertificateClient,
    private readonly pollIntervalMs = 2000,
  ) {}

  /**
   * A new version of the service's certificate, once Key Vault has made it. A creation a crash left pending is
   * waited for and taken (Key Vault refuses a second one meanwhile); a name an earlier removal soft-deleted is
   * recovered first.
   */
  async create(
    tenantId: string,
    serviceId: string,
    clientId: string,
    retried = false,
  ): Promise<TenantCertificate> {
    const name = tenantCertificateName(tenantId, serviceId);
    const policy = {
      issuerName: 'Self',
      subject: `CN=Live Platform Connector ${serviceId}`,
      keyType: 'RSA' as const,
      keySize: 2048,
      exportable: false,
      reuseKey: false,
      keyUsage: ['digitalSignature' as const],
      validityInMonths: validityMonths,
      contentType: 'application/x-pem-file' as const,
      // Renewing is the connector's work (Entra must learn the new key first): Key Vault only reminds.
      lifetimeActions: [{ action: 'EmailContacts' as const, daysBeforeExpiry: 30 }],
    };
    const options = { tags: { tenant: tenantId, client: clientId, service: serviceId } };
    try {
      let made: KeyVaultCertificate;
      try {
        made = await (
          await this.client.beginCreateCertificate(name, policy, {
            ...options,
            intervalInMs: this.pollIntervalMs,
          })
        ).pollUntilDone();
      } catch (error) {
        if (retried || vaultErrorCodes(error).status !== 409) throw error;
        if (/deleted/i.test(error instanceof Error ? error.message : '')) {
          await (
            await this.client.beginRecoverDeletedCertificate(name, { intervalInMs: this.pollIntervalMs })
          ).pollUntilDone();
          return this.create(tenantId, serviceId, clientId, true);
        }
        // A creation already pending (a crash left it): its certificate is the new version.
        made = await (
          await this.client.getCertificateOperation(name, { intervalInMs: this.pollIntervalMs })
        ).pollUntilDone();
      }
      return credentialOf(tenantId, serviceId, made);
    } catch (error) {
      if (isRestError(error)) throw vaultUnavailable(error);
      throw error;
    }
  }

  /** The service's current certificate, or undefined when there is none. */
  async get(tenantId: string, serviceId: string): Promise<TenantCertificate | undefined> {
    try {
      return credentialOf(
        tenantId,
        serviceId,
        await this.client.getCertificate(tenantCertificateName(tenantId, serviceId)),
      );
    } catch (error) {
      if (vaultErrorCodes(error).status === 404) return undefined;
      throw vaultUnavailable(error);
    }
  }

  /** Deletes (soft) the service's certificate, its key with it. */
  async delete(tenantId: string, serviceId: string): Promise<void> {
    try {
      await (
        await this.client.beginDeleteCertificate(tenantCertificateName(tenantId, serviceId), {
          intervalInMs: this.pollIntervalMs,
        })
      ).pollUntilDone();
    } catch (error) {
      if (!(isRestError(error) && error.statusCode === 404)) throw error;
    }
  }
}

function credentialOf(tenantId: string, serviceId: string, made: KeyVaultCertificate): TenantCertificate {
  if (!made.keyId || !made.cer || !made.properties.expiresOn)
    throw new Error('Key Vault returned a certificate without its key, content or expiry.');
  return {
    tenantId,
    serviceId,
    clientId: made.properties.tags?.client ?? '',
    certificate: { keyUrl: made.keyId, certificate: Buffer.from(made.cer).toString('base64') },
    expiresOn: made.properties.expiresOn,
  };
}
