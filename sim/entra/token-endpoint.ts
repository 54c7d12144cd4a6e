import { constantTimeEqual } from '../../src/lib/security/constant-time-equal.js';
import { type Directory, emitsWids, type SimApplication } from '../directory.js';
import { graphAppRoleValue } from '../graph/graph-permissions.js';
import { json, readForm, type SimHandler, type SimRequest, type SimResponse } from '../http-kit.js';
import type { TenantState } from '../tenant/tenant-state.js';
import type { TokenIssuer } from '../token-issuer.js';
import { type AuthorizationCodes, verifierMatches } from './authorization-codes.js';
import { entraError } from './entra-error.js';
import { graphScopes, oidcScopes } from './scopes.js';

export const accessTokenLifetimeSeconds = 3599;

interface TokenDeps {
  authorityHost: string;
  directory: Directory;
  issuer: TokenIssuer;
  codes: AuthorizationCodes;
  /** Resource identifiers meaning Microsoft Graph: https://graph.microsoft.com and the simulator's endpoint. */
  graphResources: readonly string[];
}

/** client_secret_post or client_secret_basic. */
function clientCredentials(request: SimRequest, form: URLSearchParams): { clientId: string; secret: string } {
  const basic = /^Basic\s+(.+)$/i.exec(request.headers.authorization ?? '');
  if (basic) {
    const [id = '', secret = ''] = Buffer.from(basic[1] as string, 'base64')
      .toString('utf8')
      .split(':');
    return { clientId: decodeURIComponent(id), secret: decodeURIComponent(secret) };
  }
  return { clientId: form.get('client_id') ?? '', secret: form.get('client_secret') ?? '' };
}

/** Checks the app exists in the tenant and the secret is one of its current ones; an Entra error otherwise. */
function authenticateClient(
  directory: Directory,
  tenant: TenantState,
  clientId: string,
  secret: string,
): SimApplication | SimResponse {
  const app = directory.applications.get(clientId);
  if (!app || !tenant.servicePrincipalByAppId(app.appId)) {
    return entraError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
    );
  }
  const matching = app.passwordCredentials.find((credential) =>
    constantTimeEqual(credential.secretText, secret),
  );
  if (!matching || matching.usableFrom.getTime() > Date.now()) {
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
  return app;
}

/**
 * `POST /{tenant}/oauth2/v2.0/token`: client credentials with a secret, and the authorization code (with PKCE)
 * redeemed by a confidential client.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#redeem-a-code-for-an-access-token
 */
export function tokenEndpoint(deps: TokenDeps): SimHandler {
  const { authorityHost, directory, issuer, codes, graphResources } = deps;

  return async (request): Promise<SimResponse> => {
    const form = readForm(request);
    const reference = request.params.tenant ?? '';
    const anyTenant = ['organizations', 'common'].includes(reference.toLowerCase());
    const grantType = form.get('grant_type');
    const { clientId, secret } = clientCredentials(request, form);

    if (grantType === 'authorization_code') {
      const grant = codes.find(form.get('code') ?? '');
      if (!grant || grant.clientId !== clientId) {
        return entraError(
          400,
          'invalid_grant',
          9002313,
          'Invalid request. Request is malformed or invalid: the code is not valid.',
        );
      }
      const tenant = directory.tenants.get(grant.tenantId) as TenantState;
      if (!anyTenant && directory.resolveTenant(reference)?.id !== tenant.id) {
        return entraError(
          400,
          'invalid_grant',
          700005,
          'Provided Authorization Code is intended to use against other tenant, thus rejected.',
        );
      }
      const app = authenticateClient(directory, tenant, clientId, secret);
      if ('status' in app) return app;
      if (grant.redeemed) {
        return entraError(
          400,
          'invalid_grant',
          54005,
          'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
        );
      }
      if (grant.expiresAt <= Date.now()) {
        return entraError(
          400,
          'invalid_grant',
          70008,
          'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
        );
      }
      if ((form.get('redirect_uri') ?? '') !== grant.redirectUri) {
        return entraError(
          400,
          'invalid_grant',
          70000,
          'The redirect_uri in the token request does not match the redirect_uri used to obtain the authorization code.',
        );
      }
      if (!verifierMatches(grant, form.get('code_verifier'))) {
        return entraError(
          400,
          'invalid_grant',
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
      grant.redeemed = true;
      const user = tenant.users.get(grant.userId);
      if (!user)
        return entraError(400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
      const wids = tenant.rolesOf(user.id);
      const scp = graphScopes(grant.scopes, graphResources);
      const iss = `${authorityHost}/${tenant.id}/v2.0`;
      // Microsoft Graph takes v1.0 access tokens (its manifest), whichever endpoint issued them.
      const accessToken = await issuer.sign(
        {
          aud: graphResources[0],
          iss: `https://sts.windows.net/${tenant.id}/`,
          tid: tenant.id,
          oid: user.id,
          sub: user.id,
          appid: app.appId,
          idtyp: 'user',
          scp: scp.join(' '),
          ...(emitsWids(app) ? { wids } : {}),
          upn: user.userPrincipalName,
          name: user.displayName,
          ver: '1.0',
        },
        accessTokenLifetimeSeconds,
      );
      const idToken = await issuer.sign(
        {
          aud: app.appId,
          iss,
          tid: tenant.id,
          oid: user.id,
          sub: user.id,
          name: user.displayName,
          preferred_username: user.userPrincipalName,
          ...(emitsWids(app) ? { wids } : {}),
          ver: '2.0',
          ...(grant.nonce ? { nonce: grant.nonce } : {}),
        },
        accessTokenLifetimeSeconds,
      );
      return json(200, {
        token_type: 'Bearer',
        scope: [
          ...scp,
          ...grant.scopes.filter((scope) => oidcScopes.has(scope) && scope !== 'offline_access'),
        ].join(' '),
        expires_in: accessTokenLifetimeSeconds,
        ext_expires_in: accessTokenLifetimeSeconds,
        access_token: accessToken,
        id_token: idToken,
        client_info: Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id })).toString('base64url'),
      });
    }

    const tenant = directory.resolveTenant(reference);
    if (!tenant)
      return entraError(
        400,
        'invalid_request',
        90002,
        `Tenant '${reference}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    if (grantType !== 'client_credentials') {
      return entraError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
      );
    }
    const app = authenticateClient(directory, tenant, clientId, secret);
    if ('status' in app) return app;
    const principal = tenant.servicePrincipalByAppId(app.appId);
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
    const roles = graphResources.includes(resource)
      ? (principal?.appRoleAssignments ?? []).flatMap(
          (assignment) => graphAppRoleValue(assignment.appRoleId) ?? [],
        )
      : [];
    // Microsoft Graph and Key Vault take v1.0 access tokens, whichever endpoint issued them.
    const accessToken = await issuer.sign(
      {
        aud: resource,
        iss: `https://sts.windows.net/${tenant.id}/`,
        tid: tenant.id,
        oid: principal?.id,
        sub: principal?.id,
        appid: app.appId,
        appidacr: '1',
        idtyp: 'app',
        ver: '1.0',
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
