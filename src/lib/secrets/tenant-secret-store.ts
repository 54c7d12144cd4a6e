import { isRestError } from '@azure/core-rest-pipeline';
import type { SecretClient } from '@azure/keyvault-secrets';
import type { AppCredential, VaultCertificate } from '../identity/app-credential.js';
import { CredentialProblem } from '../identity/credential-problem.js';
import type { TenantCertificates } from './tenant-certificates.js';
import { vaultErrorCodes, vaultUnavailable } from './vault-unavailable.js';

/** One customer tenant's app registration credential for one Direct Routing service: a secret or a certificate. */
export type TenantCredential = AppCredential & {
  serviceId: string;
  expiresOn: Date;
  /** The app's password or key credential this is (its `keyId`), when the connector knows it. */
  keyId?: string;
  /** The Key Vault secret's version it was read from (none for one not read from the vault). */
  vaultVersion?: string;
};

function certificateRef(value: string | undefined): VaultCertificate {
  const parsed = JSON.parse(value ?? '{}') as Partial<VaultCertificate>;
  return { keyUrl: parsed.keyUrl ?? '', certificate: parsed.certificate ?? '' };
}

/**
 * Key Vault name of a tenant's secret for a service: `tenant-{tenantId}-{serviceId}` (a GUID and a service id of
 * letters, digits and dashes: within Key Vault's 127 characters of `0-9 a-z A-Z -`).
 */
export function tenantSecretName(
  tenantId: string,
  serviceId: string,
  stage: 'current' | 'next' = 'current',
): string {
  const name = `tenant-${tenantId}-${serviceId}${stage === 'next' ? '-next' : ''}`;
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name))
    throw new RangeError('A tenant or service id does not fit in a Key Vault secret name.');
  return name;
}

const contentType = 'application/vnd.m365-connector.client-secret';
/** A certificate service's entry holds no secret: which certificate version (its key's URL) and its public part. */
const certificateContentType = 'application/vnd.m365-connector.certificate-ref+json';

/**
 * Customer tenants' credentials, in Key Vault only: one secret per tenant per service, tagged with tenant, client,
 * service and expiry, its expiry set on the secret. A service with a certificate keeps there which version of its
 * Key Vault certificate it uses (the key's URL and the public certificate; the private key stays in the vault's
 * certificate), so a rotation stages and switches a certificate as it does a secret. Read through a short
 * in-memory cache. Values never leave this class except to the caller that asked for them.
 */
export class TenantSecretStore {
  private readonly cache = new Map<string, { credential: TenantCredential; until: number }>();

  constructor(
    private readonly client: SecretClient,
    private readonly cacheMs = 60_000,
    /** The Key Vault certificates of services on certificates: deleted with the service's entry. */
    private readonly certificates?: TenantCertificates,
  ) {}

  /**
   * Stores a service's secret (a new version); `next` stages a rotation's new secret under its own name, which
   * nothing reads as the service's credential until the rotation switches to it.
   */
  async put(credential: TenantCredential, stage: 'current' | 'next' = 'current'): Promise<void> {
    const name = tenantSecretName(credential.tenantId, credential.serviceId, stage);
    const value = credential.certificate
      ? JSON.stringify({
          keyUrl: credential.certificate.keyUrl,
          certificate: credential.certificate.certificate,
        })
      : credential.secret;
    const options = {
      contentType: credential.certificate ? certificateContentType : contentType,
      expiresOn: credential.expiresOn,
      tags: {
        tenant: credential.tenantId,
        client: credential.clientId,
        service: credential.serviceId,
        expiry: credential.expiresOn.toISOString(),
        ...(credential.keyId ? { keyId: credential.keyId } : {}),
      },
    };
    try {
      try {
        await this.client.setSecret(name, value, options);
      } catch (error) {
        // A soft-deleted secret of the same name (an earlier offboarding) blocks the name: recover it, then write.
        if (!(isRestError(error) && error.statusCode === 409)) throw error;
        await (await this.client.beginRecoverDeletedSecret(name)).pollUntilDone();
        await this.client.setSecret(name, value, options);
      }
    } catch (error) {
      if (isRestError(error)) throw vaultUnavailable(error);
      throw error;
    }
    if (stage === 'current') this.cache.set(name, { credential, until: Date.now() + this.cacheMs });
  }

  /**
   * The credential (the service's secret, or which certificate it uses), or undefined when there is none. A secret
   * disabled in Key Vault is the tenant's credential problem (`secret_disabled`); any other refusal or failure of
   * the vault is the connector's (VaultUnavailable).
   */
  async get(
    tenantId: string,
    serviceId: string,
    stage: 'current' | 'next' = 'current',
  ): Promise<TenantCredential | undefined> {
    const name = tenantSecretName(tenantId, serviceId, stage);
    const cached = stage === 'current' ? this.cache.get(name) : undefined;
    if (cached && cached.until > Date.now()) return cached.credential;
    try {
      const secret = await this.client.getSecret(name);
      const { tags } = secret.properties;
      const common = {
        tenantId,
        serviceId,
        clientId: tags?.client ?? '',
        expiresOn: secret.properties.expiresOn ?? new Date(tags?.expiry ?? 0),
        ...(tags?.keyId ? { keyId: tags.keyId } : {}),
        ...(secret.properties.version ? { vaultVersion: secret.properties.version } : {}),
      };
      const credential: TenantCredential =
        secret.properties.contentType === certificateContentType
          ? { ...common, certificate: certificateRef(secret.value) }
          : { ...common, secret: secret.value ?? '' };
      if (stage === 'current') this.cache.set(name, { credential, until: Date.now() + this.cacheMs });
      return credential;
    } catch (error) {
      const { status, inner } = vaultErrorCodes(error);
      if (status === 404) return undefined;
      if (status === 403 && inner === 'SecretDisabled') throw new CredentialProblem('secret_disabled');
      throw vaultUnavailable(error);
    }
  }

  /** Forgets this instance's copy of a service's secret, so the next read is Key Vault's current version. */
  forget(tenantId: string, serviceId: string): void {
    this.cache.delete(tenantSecretName(tenantId, serviceId));
  }

  /**
   * Deletes (soft) a tenant's secret for a service (and its certificate, if it has one), e.g. when the service or
   * the tenant is removed.
   */
  async delete(tenantId: string, serviceId: string, stage: 'current' | 'next' = 'current'): Promise<void> {
    const name = tenantSecretName(tenantId, serviceId, stage);
    this.cache.delete(name);
    if (stage === 'current') await this.certificates?.delete(tenantId, serviceId);
    try {
      await (await this.client.beginDeleteSecret(name)).pollUntilDone();
    } catch (error) {
      if (!(isRestError(error) && error.statusCode === 404)) throw error;
    }
  }
}
