import { ConnectorError } from '../errors/connector-error.js';

/**
 * Microsoft Entra did not answer a token request (it failed with a 5xx, throttled it, or was not reached): nobody's
 * credentials are at fault, so no tenant changes status; the work waits and tries again.
 */
export class IdentityUnavailable extends ConnectorError {
  readonly code = 'identity_unavailable';
  constructor(options?: ErrorOptions) {
    super(
      'Microsoft Entra did not answer a token request (unavailable or throttling). The connector retries.',
      options,
    );
  }
}

/** MSAL's network failures (its own codes for them). */
const networkCodes = new Set(['network_error', 'no_network_connectivity']);

/**
 * Whether what MSAL reports is Entra not answering rather than refusing: a network failure, a 429 or 5xx (its
 * `status`), `temporarily_unavailable` (RFC 6749's code for it), or MSAL's own throttling of a token request that
 * had just met a 429 or 5xx (a ServerError it makes without any status).
 */
export function entraUnavailable(error: unknown): boolean {
  const failure = error as { name?: string; errorCode?: string; status?: number };
  if (failure.errorCode && networkCodes.has(failure.errorCode)) return true;
  if (failure.name !== 'ServerError') return false;
  if (failure.errorCode === 'temporarily_unavailable') return true;
  return failure.status === undefined || failure.status === 429 || failure.status >= 500;
}
