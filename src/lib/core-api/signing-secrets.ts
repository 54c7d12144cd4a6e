import type { CachedSecrets } from '../secrets/cached-secrets.js';

/**
 * Key Vault secret names for the contract with the platform core:
 * - core requests are signed with any of the `whsec_` secrets in `core-api-signing-secrets` (whitespace-separated,
 *   so a new one can be added before the core switches and the old one removed after);
 * - events to the core are signed with the one `whsec_` secret in `core-events-signing-secret`.
 */
export const requestSigningSecretsName = 'core-api-signing-secrets';
export const eventSigningSecretName = 'core-events-signing-secret';

export async function acceptedRequestSecrets(secrets: CachedSecrets): Promise<string[]> {
  return (await secrets.get(requestSigningSecretsName)).split(/\s+/).filter(Boolean);
}

export function eventSigningSecret(secrets: CachedSecrets): Promise<string> {
  return secrets.get(eventSigningSecretName).then((value) => value.trim());
}
