import { isRestError } from '@azure/core-rest-pipeline';
import type { SecretClient } from '@azure/keyvault-secrets';
import { vaultUnavailable } from './vault-unavailable.js';

/**
 * Reads Key Vault secrets through a short in-memory cache (Key Vault's advice: cache, and stay under its
 * request limits). Values never leave this object except to the caller that asked.
 */
export class CachedSecrets {
  private readonly cache = new Map<string, { value: string; until: number }>();

  constructor(
    private readonly client: SecretClient,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  async get(name: string): Promise<string> {
    const cached = this.cache.get(name);
    if (cached && cached.until > Date.now()) return cached.value;
    const secret = await this.client.getSecret(name).catch((error: unknown) => {
      throw isRestError(error) ? vaultUnavailable(error) : error;
    });
    if (secret.value === undefined) throw new Error(`Key Vault secret ${name} has no value.`);
    this.cache.set(name, { value: secret.value, until: Date.now() + this.ttlMs });
    return secret.value;
  }

  invalidate(name: string): void {
    this.cache.delete(name);
  }
}
