import type { AppCredential } from './app-credential.js';
import type { AppTokenProvider } from './app-token-provider.js';
import { mayBePropagating } from './credential-problem.js';

/** How long to wait for a new secret to start working (AADSTS7000215 meanwhile), in all: about a minute. */
export const propagationWaitsMs = [1000, 2000, 4000, 8000, 15000, 30000];

/**
 * Whether a new secret works yet: a fresh token, tried again with backoff while Entra still refuses the secret
 * (it can take seconds, sometimes minutes, to reach every replica). Any other problem is thrown.
 */
export async function secretStartsWorking(
  tokens: AppTokenProvider,
  credential: AppCredential,
  sleep: (ms: number) => Promise<void>,
): Promise<boolean> {
  for (const wait of [0, ...propagationWaitsMs]) {
    if (wait) await sleep(wait);
    try {
      await tokens.token(credential, { fresh: true });
      return true;
    } catch (error) {
      if (!mayBePropagating(error)) throw error;
    }
  }
  return false;
}
