import type { Directory } from '../directory.js';
import { json, type SimHandler } from '../http-kit.js';
import type { TokenIssuer } from '../token-issuer.js';
import { entraError } from './entra-error.js';

/** `/{tenant}/v2.0/.well-known/openid-configuration`, as MSAL reads it to find the endpoints. */
export function openIdConfiguration(authorityHost: string, directory: Directory): SimHandler {
  return ({ params }) => {
    const reference = params.tenant ?? '';
    const known = ['organizations', 'common'].includes(reference.toLowerCase());
    const tenant = directory.resolveTenant(reference);
    if (!known && !tenant)
      return entraError(400, 'invalid_tenant', 90002, `Tenant '${reference}' not found.`);
    const base = `${authorityHost}/${reference}`;
    return json(200, {
      issuer: `${authorityHost}/${tenant?.id ?? '{tenantid}'}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'nbf',
        'tid',
        'oid',
        'name',
        'preferred_username',
      ],
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
    });
  };
}

export function jwks(issuer: TokenIssuer): SimHandler {
  return () => json(200, issuer.jwks);
}
