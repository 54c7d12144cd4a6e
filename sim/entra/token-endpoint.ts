import { constantTimeEqual } from '../../src/lib/security/constant-time-equal.js';
import { type Directory, emitsWids, type SimApplication } from '../directory.js';
import { graphAppRoleValue } from '../graph/graph-permissions.js';
import { json, readForm, type SimHandler, type SimRequest, type SimResponse } from '../http-kit.js';
import type { SimUser } from '../tenant/model.js';
import type { TenantState } from '../tenant/tenant-state.js';
import type { TokenIssuer } from '../token-issuer.js';
import { type AuthorizationCodes, verifierMatches } from './authorization-codes.js';
import { verifyCertificateJwt } from './certificate-jwt.js';
import type { DeviceCodes } from './device-codes.js';
import { entraError } from './entra-error.js';
import { graphScopes, oidcScopes } from './scopes.js';

export const accessTokenLifetimeSeconds = 3599;

interface TokenDeps {
  authorityHost: string;
  directory: Directory;
  issuer: TokenIssuer;
  codes: AuthorizationCodes;
  deviceCodes: DeviceCodes;
  /** Resource identifiers meaning Microsoft Graph: https://graph.microsoft.com and the simulator's endpoint. */
  graphResources: readonly string[];
}

/** How a confidential client proves itself: a secret, or a client assertion signed with its certificate's key. */
export type ClientProof =
  | { secret: string; assertion?: undefined }
  | { assertion: string; audiences: string[]; secret?: undefined };

const jwtBearer = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** client_secret_post, client_secret_basic, or private_key_jwt (`client_assertion`). */
function clientCredentials(
  request: SimRequest,
  form: URLSearchParams,
  audiences: string[],
): { clientId: string; proof: ClientProof } {
  const basic = /^Basic\s+(.+)$/i.exec(request.headers.authorization ?? '');
  if (basic) {
    const [id = '', secret = ''] = Buffer.from(basic[1] as string, 'base64')
      .toString('utf8')
      .split(':');
    return { clientId: decodeURIComponent(id), proof: { secret: decodeURIComponent(secret) } };
  }
  const assertion = form.get('client_assertion');
  if (assertion && form.get('client_assertion_type') === jwtBearer)
    return { clientId: form.get('client_id') ?? '', proof: { assertion, audiences } };
  return { clientId: form.get('client_id') ?? '', proof: { secret: form.get('client_secret') ?? '' } };
}

const hasProof = (proof: ClientProof) => Boolean(proof.assertion ?? proof.secret);

/**
 * A client assertion: signed by one of the app's registered certificates (found by `x5t#S256` or `x5t`), `aud`
 * the token endpoint, `iss` and `sub` the client id, within its time.
 * https://learn.microsoft.com/entra/identity-platform/certificate-credentials
 */
function authenticateAssertion(
  app: SimApplication,
  proof: { assertion: string; audiences: string[] },
): SimApplication | SimResponse {
  const verified = verifyCertificateJwt(proof.assertion, app.keyCredentials);
  const now = Math.floor(Date.now() / 1000);
  if (verified === 'malformed')
    return entraError(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
  if (verified === 'bad_signature')
    return entraError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
  // A certificate just added is refused the same way for a while, as Entra's replicas learn of it.
  if (verified === 'unknown_key' || verified.credential.usableFrom.getTime() > Date.now()) {
    return entraError(
      401,
      'invalid_client',
      700027,
      'The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found.]',
    );
  }
  const { payload, credential } = verified;
  if (payload.iss !== app.appId || payload.sub !== app.appId)
    return entraError(
      401,
      'invalid_client',
      700021,
      "Client assertion application identifier doesn't match 'client_id' parameter.",
    );
  if (!proof.audiences.includes(String(payload.aud)))
    return entraError(
      401,
      'invalid_client',
      700023,
      'Client assertion audience claim does not match Realm issuer.',
    );
  const { exp, nbf } = payload;
  if (typeof exp !== 'number' || exp <= now || (typeof nbf === 'number' && nbf > now + 300))
    return entraError(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range.');
  if (credential.endDateTime.getTime() <= Date.now())
    return entraError(
      401,
      'invalid_client',
      700027,
      `The certificate used to sign the client assertion for app '${app.appId}' has expired.`,
    );
  return app;
}

/** Checks the app exists in the tenant and the secret or assertion is one of its current ones; an Entra error otherwise. */
function authenticateClient(
  directory: Directory,
  tenant: TenantState,
  clientId: string,
  proof: ClientProof,
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
  if (proof.assertion) return authenticateAssertion(app, proof);
  const matching = app.passwordCredentials.find((credential) =>
    constantTimeEqual(credential.secretText, proof.secret ?? ''),
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

/** The access token (v1.0, as Graph takes) and ID token a signed-in user's grant gives its app. */
async function userTokens(
  deps: TokenDeps,
  input: { app: SimApplication; tenant: TenantState; user: SimUser; scopes: string[]; nonce?: string },
): Promise<SimResponse> {
  const { authorityHost, issuer, graphResources } = deps;
  const { app, tenant, user } = input;
  const wids = tenant.rolesOf(user.id);
  const scp = graphScopes(input.scopes, graphResources);
  const iss = `${authorityHost}/${tenant.id}/v2.0`;
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
      ...(input.nonce ? { nonce: input.nonce } : {}),
    },
    accessTokenLifetimeSeconds,
  );
  return json(200, {
    token_type: 'Bearer',
    scope: [
      ...scp,
      ...input.scopes.filter((scope) => oidcScopes.has(scope) && scope !== 'offline_access'),
    ].join(' '),
    expires_in: accessTokenLifetimeSeconds,
    ext_expires_in: accessTokenLifetimeSeconds,
    access_token: accessToken,
    id_token: idToken,
    client_info: Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id })).toString('base64url'),
  });
}

/**
 * The device code grant type: Microsoft's protocol page names the RFC 8628 URN, MSAL sends `device_code`; Entra
 * takes both.
 */
const deviceCodeGrants = new Set(['urn:ietf:params:oauth:grant-type:device_code', 'device_code']);

/**
 * The device code grant, polled by the client: `authorization_pending` until the person approves on the device
 * login page, then the tokens once; `authorization_declined`, `expired_token` or `bad_verification_code` otherwise.
 * A confidential client must still authenticate; a public client sends no secret.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code#authenticating-the-user
 */
async function redeemDeviceCode(
  deps: TokenDeps,
  form: URLSearchParams,
  clientId: string,
  proof: ClientProof,
  anyTenant: boolean,
  reference: string,
): Promise<SimResponse> {
  const { directory, deviceCodes } = deps;
  const grant = deviceCodes.find(form.get('device_code') ?? form.get('code') ?? '');
  if (!grant || grant.clientId !== clientId || grant.state === 'redeemed') {
    return entraError(400, 'bad_verification_code', 70018, 'The device code was not recognized.');
  }
  if (
    !anyTenant &&
    directory.resolveTenant(reference)?.id !== directory.resolveTenant(grant.tenantReference)?.id
  )
    return entraError(400, 'bad_verification_code', 70018, 'The device code was issued for another tenant.');
  if (grant.expiresAt <= Date.now())
    return entraError(400, 'expired_token', 70019, 'The device code has expired. Start the sign-in again.');
  if (grant.state === 'declined')
    return entraError(400, 'authorization_declined', 70000, 'The user declined the authorization request.');
  if (grant.state === 'pending') {
    return entraError(
      400,
      'authorization_pending',
      70016,
      'The provided request has not yet been authorized by the user. The user must input their code.',
    );
  }
  const app = directory.applications.get(grant.clientId);
  const tenant = directory.tenants.get(grant.tenantId ?? '');
  const user = tenant?.users.get(grant.userId ?? '');
  if (!app || !tenant || !user)
    return entraError(400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
  if (!app.publicClient) {
    if (!hasProof(proof))
      return entraError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    const authenticated = authenticateClient(directory, tenant, clientId, proof);
    if ('status' in authenticated) return authenticated;
  }
  grant.state = 'redeemed';
  return userTokens(deps, { app, tenant, user, scopes: grant.scopes });
}

/**
 * `POST /{tenant}/oauth2/v2.0/token`: client credentials with a secret, and the authorization code (with PKCE)
 * redeemed by a confidential client, and the device code a public client polls with.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#redeem-a-code-for-an-access-token
 */
export function tokenEndpoint(deps: TokenDeps): SimHandler {
  const { directory, codes, graphResources, issuer } = deps;

  return async (request): Promise<SimResponse> => {
    const form = readForm(request);
    const reference = request.params.tenant ?? '';
    const anyTenant = ['organizations', 'common'].includes(reference.toLowerCase());
    const grantType = form.get('grant_type');
    const resolved = directory.resolveTenant(reference);
    const audiences = [reference, resolved?.id ?? reference].flatMap((segment) => [
      `${deps.authorityHost}/${segment}/oauth2/v2.0/token`,
      `${deps.authorityHost}/${segment}/v2.0`,
    ]);
    const { clientId, proof } = clientCredentials(request, form, audiences);

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
      const app = authenticateClient(directory, tenant, clientId, proof);
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
      return userTokens(deps, { app, tenant, user, scopes: grant.scopes, nonce: grant.nonce });
    }

    if (deviceCodeGrants.has(grantType ?? ''))
      return redeemDeviceCode(deps, form, clientId, proof, anyTenant, reference);

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
    const app = authenticateClient(directory, tenant, clientId, proof);
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
        // How the client proved itself: 1 a secret, 2 a certificate (the access token claims reference).
        appidacr: proof.assertion ? '2' : '1',
        idtyp: 'app',
        ver: '1.0',
        ...(roles.length > 0 ? { roles } : {}),
        // Entra names the directory roles an app's service principal holds in its app tokens too.
        ...(principal ? { wids: tenant.rolesOf(principal.id) } : {}),
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
