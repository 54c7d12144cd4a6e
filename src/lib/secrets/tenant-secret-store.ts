import { isRestError } from '@azure/core-rest-pipeline';
import type { SecretClient } from '@azure/keyvault-secrets';
import { CredentialProblem } from '../identity/credential-problem.js';
import { VaultUnavailable, vaultErrorCodes } from './vault-unavailable.js';

/** One customer tenant's app registration credential for one Direct Routing service. */
export interface TenantCredential {
  tenantId: string;
  serviceId: string;
  clientId: string;
  secret: string;
  expiresOn: Date;
  /** The app's password credential the secret is (its `keyId`), when the connector knows it. */
  keyId?: string;
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

/**
 * Client secrets of customer tenants, in Key Vault only: one secret per tenant per service, tagged with tenant,
 * client, service and expiry, its expiry set on the secret. Read through a short in-memory cache. Values never
 * leave this class except to the caller that asked for them.
 */
export class TenantSecretStore {
  private readonly cache = new Map<string, { credential: TenantCredential; until: number }>();

  constructor(
    private readonly client: SecretClient,
    private readonly cacheMs = 60_000,
  ) {}

  /**
   * Stores a service's secret (a new version); `next` stages a rotation's new secret under its own name, which
   * nothing reads as the service's credential until the rotation switches to it.
   */
  async put(credential: TenantCredential, stage: 'current' | 'next' = 'current'): Promise<void> {
    const name = tenantSecretName(credential.tenantId, credential.serviceId, stage);
    const options = {
      contentType,
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
        await this.client.setSecret(name, credential.secret, options);
      } catch (error) {
        // A soft-deleted secret of the same name (an earlier offboarding) blocks the name: recover it, then write.
        if (!(isRestError(error) && error.statusCode === 409)) throw error;
        await (await this.client.beginRecoverDeletedSecret(name)).pollUntilDone();
        await this.client.setSecret(name, credential.secret, options);
      }
    } catch (error) {
      if (isRestError(error)) throw new VaultUnavailable({ cause: error });
      throw error;
    }
    if (stage === 'current') this.cache.set(name, { credential, until: Date.now() + this.cacheMs });
  }

  /**
   * The credential, or undefined when there is none. A secret disabled in Key Vault is the tenant's credential
   * problem (`secret_disabled`); any other refusal or failure of the vault is the connector's (VaultUnavailable).
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
      const credential: TenantCredential = {
        tenantId,
        serviceId,
        clientId: secret.properties.tags?.client ?? '',
        secret: secret.value ?? '',
        expiresOn: secret.properties.expiresOn ?? new Date(secret.properties.tags?.expiry ?? 0),
        ...(secret.properties.tags?.keyId ? { keyId: secret.properties.tags.keyId } : {}),
      };
      if (stage === 'current') this.cache.set(name, { credential, until: Date.now() + this.cacheMs });
      return credential;
    } catch (error) {
      const { status, inner } = vaultErrorCodes(error);
      if (status === 404) return undefined;
      if (status === 403 && inner === 'SecretDisabled') throw new CredentialProblem('secret_disabled');
      throw new VaultUnavailable({ cause: error });
    }
  }

  /** Forgets this instance's copy of a service's secret, so the next read is Key Vault's current version. */
  forget(tenantId: string, serviceId: string): void {
    this.cache.delete(tenantSecretName(tenantId, serviceId));
  }

  /** Deletes (soft) a tenant's secret for a service, e.g. when the service or the tenant is removed. */
  async delete(tenantId: string, serviceId: string, stage: 'current' | 'next' = 'current'): Promise<void> {
    const name = tenantSecretName(tenantId, serviceId, stage);
    this.cache.delete(name);
    try {
      await (await this.client.beginDeleteSecret(name)).pollUntilDone();
    } catch (error) {
      if (!(isRestError(error) && error.statusCode === 404)) throw error;
    }
  }
}
