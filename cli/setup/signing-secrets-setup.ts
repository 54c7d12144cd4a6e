import { randomBytes } from 'node:crypto';
import type { SecretClient } from '@azure/keyvault-secrets';
import { eventSigningSecretName, requestSigningSecretsName } from '../../src/lib/core-api/signing-secrets.js';

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64, as the specification's libraries make them. */
export const newSigningSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export interface SigningSecretsReport {
  /** The secret the core signs its requests with from now on (the newest accepted one). */
  requestSecret: string;
  /** How many request secrets the connector accepts (2 during an overlap). */
  acceptedRequestSecrets: number;
  requestSecrets: 'created' | 'kept' | 'rotated' | 'retired';
  /** The secret the connector signs its events with: the core verifies with it. */
  eventSecret: string;
  eventSecretChange: 'created' | 'kept' | 'rotated';
}

const isNotFound = (error: unknown) => (error as { statusCode?: number }).statusCode === 404;

async function read(secrets: SecretClient, name: string): Promise<string | undefined> {
  try {
    return (await secrets.getSecret(name)).value;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * The contract's signing secrets in the connector's Key Vault. Requests: the connector accepts every secret in
 * `core-api-signing-secrets`, so a rotation puts the new one first and keeps the newest old one until the core
 * signs with the new one (`retire` then drops the old). Events: one secret; a rotation replaces it, so the core
 * should accept the old and the new while it switches.
 */
export async function ensureSigningSecrets(
  secrets: SecretClient,
  options: { rotate?: boolean; retire?: boolean; rotateEventSecret?: boolean },
): Promise<SigningSecretsReport> {
  const current = ((await read(secrets, requestSigningSecretsName)) ?? '').split(/\s+/).filter(Boolean);
  let accepted = current;
  let requestSecrets: SigningSecretsReport['requestSecrets'] = 'kept';
  if (current.length === 0) {
    accepted = [newSigningSecret()];
    requestSecrets = 'created';
  } else if (options.rotate) {
    accepted = [newSigningSecret(), current[0] as string];
    requestSecrets = 'rotated';
  } else if (options.retire && current.length > 1) {
    accepted = [current[0] as string];
    requestSecrets = 'retired';
  }
  if (requestSecrets !== 'kept')
    await secrets.setSecret(requestSigningSecretsName, accepted.join(' '), { contentType: 'whsec list' });

  let eventSecret = (await read(secrets, eventSigningSecretName))?.trim();
  let eventSecretChange: SigningSecretsReport['eventSecretChange'] = 'kept';
  if (!eventSecret || options.rotateEventSecret) {
    eventSecretChange = eventSecret ? 'rotated' : 'created';
    eventSecret = newSigningSecret();
    await secrets.setSecret(eventSigningSecretName, eventSecret, { contentType: 'whsec' });
  }
  return {
    requestSecret: accepted[0] as string,
    acceptedRequestSecrets: accepted.length,
    requestSecrets,
    eventSecret,
    eventSecretChange,
  };
}
