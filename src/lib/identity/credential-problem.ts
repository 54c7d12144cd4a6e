import { ConnectorError } from '../errors/connector-error.js';
import { entraUnavailable, IdentityUnavailable } from './identity-unavailable.js';

/** Why credentials do not work, in terms of what the tenant admin must fix. */
export type CredentialProblemCode =
  | 'invalid_secret'
  | 'invalid_certificate'
  | 'certificate_missing'
  | 'secret_expired'
  | 'app_not_found'
  | 'tenant_not_found'
  | 'consent_missing'
  | 'secret_disabled'
  | 'blocked_by_conditional_access'
  | 'sign_in_failed';

export const credentialProblemText: Record<CredentialProblemCode, string> = {
  invalid_secret:
    "The client secret is not right. Copy the secret's Value (not its Secret ID) from the app's Certificates & secrets page; a new secret can take a minute to work.",
  invalid_certificate:
    "The app registration does not accept the connector's certificate: it is not (or no longer) among the app's certificates, or has expired; a new certificate can take a minute to work. Reconnect the tenant to register a new one.",
  certificate_missing:
    "The connector's certificate for this service is gone from its Key Vault (deleted, or that version no longer exists). Reconnect the tenant to make a new one.",
  secret_expired: 'The client secret has expired. Add a new secret to the app registration and use that one.',
  app_not_found:
    'No app with this client ID exists in that tenant. Check the Application (client) ID, and that the app was registered in this tenant.',
  tenant_not_found:
    'No tenant with this ID exists. Check the Directory (tenant) ID on the app registration’s Overview page.',
  consent_missing:
    'The app has not been granted admin consent. Grant admin consent for its API permissions, then try again.',
  secret_disabled:
    "The connector's stored secret for this service is disabled in Key Vault. Enable it, or reconnect the tenant with a new secret.",
  blocked_by_conditional_access: 'A Conditional Access policy of the tenant blocks the app from signing in.',
  sign_in_failed: 'Microsoft refused the sign-in for a reason the connector does not recognise.',
};

/** A new secret or certificate is refused this way until Entra's replicas know it (seconds to minutes). */
export const mayBePropagating = (error: unknown): boolean =>
  error instanceof CredentialProblem &&
  (error.code === 'invalid_secret' || error.code === 'invalid_certificate');

/** A credential that does not work. Its message never holds the secret. */
export class CredentialProblem extends ConnectorError {
  constructor(
    readonly code: CredentialProblemCode,
    /** The AADSTS number, when Entra gave one. */
    readonly aadsts?: string,
  ) {
    super(credentialProblemText[code]);
  }
}

/** The OAuth `error` values that say enough on their own, when Entra gave no number. */
const byOAuthError: Record<string, CredentialProblemCode> = {
  invalid_client: 'invalid_secret',
  unauthorized_client: 'app_not_found',
  consent_required: 'consent_missing',
};

/**
 * Maps what MSAL reports (ServerError with errorNo, the first of Entra's `error_codes`, and errorCode, the OAuth
 * `error`; or a ClientAuthError when the authority's metadata cannot be read, as for an unknown tenant) to a
 * CredentialProblem; anything else is rethrown. Documented AADSTS numbers pick the advice; then the OAuth error.
 * The description's text is never read: Microsoft says apps must not depend on it.
 */
export function toCredentialProblem(error: unknown): CredentialProblem {
  if (entraUnavailable(error)) throw new IdentityUnavailable({ cause: error });
  const failure = error as {
    errorCode?: string;
    errorNo?: string | number;
    errorMessage?: string;
    name?: string;
  };
  const aadsts =
    failure.errorNo !== undefined && failure.errorNo !== '' ? String(failure.errorNo) : undefined;
  switch (aadsts) {
    case '7000215':
      return new CredentialProblem('invalid_secret', aadsts);
    case '7000222':
      return new CredentialProblem('secret_expired', aadsts);
    case '700027':
    case '700024':
    case '700023':
      return new CredentialProblem('invalid_certificate', aadsts);
    case '700016':
    case '700011':
      return new CredentialProblem('app_not_found', aadsts);
    case '90002':
      return new CredentialProblem('tenant_not_found', aadsts);
    case '65001':
    case '90094':
      return new CredentialProblem('consent_missing', aadsts);
    case '53003':
      return new CredentialProblem('blocked_by_conditional_access', aadsts);
  }
  if (failure.errorCode === 'endpoints_resolution_error') return new CredentialProblem('tenant_not_found');
  const named = failure.errorCode ? byOAuthError[failure.errorCode] : undefined;
  if (named && failure.name === 'ServerError') return new CredentialProblem(named, aadsts);
  if (failure.name === 'ServerError' || failure.name === 'ClientAuthError')
    return new CredentialProblem('sign_in_failed', aadsts);
  throw error;
}
