import { constantTimeEqual } from '../../src/lib/security/constant-time-equal.js';
import type { Directory } from '../directory.js';
import { json, readForm, type SimHandler, type SimResponse } from '../http-kit.js';
import type { TokenIssuer } from '../token-issuer.js';
import { entraError } from './entra-error.js';

export const accessTokenLifetimeSeconds = 3599;

/**
 * `POST /{tenant}/oauth2/v2.0/token`. The client credentials grant with a client secret:
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 */
export function tokenEndpoint(authorityHost: string, directory: Directory, issuer: TokenIssuer): SimHandler {
  return async (request): Promise<SimResponse> => {
    const form = readForm(request);
    const reference = request.params.tenant ?? '';
    const tenant = directory.resolveTenant(reference);
    if (!tenant) return entraError(400, 'invalid_request', 90002, `Tenant '${reference}' not found.`);
    const grantType = form.get('grant_type');
    if (grantType !== 'client_credentials') {
      return entraError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
      );
    }
    const clientId = form.get('client_id') ?? '';
    const app = directory.applications.get(clientId);
    const principal = app && directory.servicePrincipal(tenant.id, app.appId);
    if (!app || !principal) {
      return entraError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      );
    }
    const secret = form.get('client_secret') ?? '';
    const matching = app.passwordCredentials.find((credential) =>
      constantTimeEqual(credential.secretText, secret),
    );
    if (!matching) {
      return entraError(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.appId}'.`,
      );
    }
    if (matching.endDateTime.getTime() <= Date.now()) {
      return entraError(
        401,
        'invalid_client',
        7000222,
        `The provided client secret keys for app '${app.appId}' are expired.`,
      );
    }
    const scope = form.get('scope') ?? '';
    if (!scope.endsWith('/.default')) {
      return entraError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const resource = scope.slice(0, -'/.default'.length);
    const roles = [...(principal.appRoles.get(resource) ?? [])];
    const accessToken = await issuer.sign(
      {
        aud: resource,
        iss: `${authorityHost}/${tenant.id}/v2.0`,
        tid: tenant.id,
        oid: principal.id,
        sub: principal.id,
        azp: app.appId,
        appid: app.appId,
        idtyp: 'app',
        ver: '2.0',
        ...(roles.length > 0 ? { roles } : {}),
      },
      accessTokenLifetimeSeconds,
    );
    return json(200, {
      token_type: 'Bearer',
      expires_in: accessTokenLifetimeSeconds,
      ext_expires_in: accessTokenLifetimeSeconds,
      access_token: accessToken,
    });
  };
}
