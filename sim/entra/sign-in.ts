import type { Directory, SimApplication } from '../directory.js';
import { graphAppId, graphAppRoleValue, roles } from '../graph/graph-permissions.js';
import type { SimHandler, SimResponse } from '../http-kit.js';
import type { TenantState } from '../tenant/tenant-state.js';
import type { AuthorizationCodes } from './authorization-codes.js';
import { consentDelegated, paramsOf, pickUser } from './delegated-consent.js';
import { graphScopes } from './scopes.js';
import { errorPage, redirect, signInPage } from './sign-in-page.js';

interface Resolved {
  app: SimApplication;
  tenants: TenantState[];
  redirectUri: string;
}

/** The parts shared by authorize and adminconsent: the app, the tenants a person may pick from, the redirect. */
function resolve(directory: Directory, reference: string, params: URLSearchParams): Resolved | SimResponse {
  const clientId = params.get('client_id') ?? '';
  const app = directory.applications.get(clientId);
  if (!app)
    return errorPage(700016, `Application with identifier '${clientId}' was not found in the directory.`);
  const redirectUri = params.get('redirect_uri') ?? '';
  if (!app.redirectUris.includes(redirectUri)) {
    return errorPage(
      50011,
      `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
    );
  }
  const anyTenant = ['organizations', 'common'].includes(reference.toLowerCase());
  const tenant = anyTenant ? undefined : directory.resolveTenant(reference);
  if (!anyTenant && !tenant) return errorPage(90002, `Tenant '${reference}' not found.`);
  const tenants = tenant ? [tenant] : [...directory.tenants.values()];
  const allowed = tenants.filter(
    (candidate) => app.signInAudience === 'AzureADMultipleOrgs' || candidate.id === app.homeTenantId,
  );
  if (allowed.length === 0) {
    return errorPage(
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant?.displayName}'.`,
    );
  }
  return { app, tenants: allowed, redirectUri };
}

function withQuery(base: string, values: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(values))
    if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * `/{tenant}/oauth2/v2.0/authorize`: the sign-in and consent page (GET), and its answer (POST): a one-time code
 * to the exact redirect URI, or the `access_denied` error a declined consent gives.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
 */
export function authorizeEndpoint(
  directory: Directory,
  codes: AuthorizationCodes,
  graphResources: readonly string[],
): SimHandler {
  return (request) => {
    const params = paramsOf(request);
    const resolved = resolve(directory, request.params.tenant ?? '', params);
    if ('status' in resolved) return resolved;
    const { app, tenants, redirectUri } = resolved;
    if (params.get('response_type') !== 'code')
      return errorPage(900144, "The request body must contain the 'response_type=code' parameter.");
    const method =
      params.get('code_challenge_method') ?? (params.get('code_challenge') ? 'plain' : undefined);
    if (method && method !== 'S256' && method !== 'plain')
      return errorPage(501491, 'Invalid code_challenge_method.');
    const scopes = (params.get('scope') ?? '').split(' ').filter(Boolean);
    const state = params.get('state') ?? undefined;
    if (request.method === 'GET') {
      return signInPage({
        title: 'Sign in and consent',
        appName: app.displayName,
        permissions: scopes,
        tenants,
        hidden: Object.fromEntries(params),
      });
    }
    if (params.get('decision') !== 'accept') {
      return redirect(
        withQuery(redirectUri, {
          error: 'access_denied',
          error_description: 'AADSTS65004: User declined to consent to access the app.',
          state,
        }),
      );
    }
    const picked = pickUser(params, tenants);
    if (!picked)
      return errorPage(50034, 'The user account does not exist in the directory. Pick an account.');
    if (!consentDelegated(picked, app, graphScopes(scopes, graphResources))) {
      return redirect(
        withQuery(redirectUri, {
          error: 'consent_required',
          error_description: `AADSTS90094: The grant requires admin permission. ${app.displayName} needs permission to access resources in your organization that only an admin can grant.`,
          state,
        }),
      );
    }
    const code = codes.issue({
      clientId: app.appId,
      redirectUri,
      tenantId: picked.tenant.id,
      userId: picked.user.id,
      scopes,
      codeChallenge: params.get('code_challenge') ?? undefined,
      codeChallengeMethod: method as 'S256' | 'plain' | undefined,
      nonce: params.get('nonce') ?? undefined,
    });
    return redirect(withQuery(redirectUri, { code, state, session_state: picked.tenant.id }));
  };
}

/**
 * `/{tenant}/v2.0/adminconsent`: an administrator grants the app's application permissions in their tenant.
 * Success: `admin_consent=True&tenant=&scope=&state=`; errors carry `error`, `error_description`, `state` and,
 * as Microsoft does, may still say `admin_consent=True` (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent).
 * https://learn.microsoft.com/entra/identity-platform/v2-admin-consent
 */
export function adminConsentEndpoint(directory: Directory): SimHandler {
  return (request) => {
    const params = paramsOf(request);
    const reference = request.params.tenant ?? '';
    if (reference.toLowerCase() === 'common')
      return errorPage(90002, "Admin consent cannot use the 'common' endpoint.");
    const resolved = resolve(directory, reference, params);
    if ('status' in resolved) return resolved;
    const { app, tenants, redirectUri } = resolved;
    const state = params.get('state') ?? undefined;
    const applicationPermissions = app.requiredResourceAccess
      .filter((access) => access.resourceAppId === graphAppId)
      .flatMap((access) =>
        access.resourceAccess
          .filter((entry) => entry.type === 'Role')
          .map((entry) => graphAppRoleValue(entry.id) ?? entry.id),
      );
    if (request.method === 'GET') {
      return signInPage({
        title: 'Permissions requested: accept for your organization',
        appName: app.displayName,
        permissions: applicationPermissions,
        tenants,
        hidden: Object.fromEntries(params),
      });
    }
    // Microsoft documents the admin consent error as consent_required, still with admin_consent=True.
    const deny = (code: number, message: string) =>
      redirect(
        withQuery(redirectUri, {
          admin_consent: 'True',
          error: 'consent_required',
          error_description: `AADSTS${code}: ${message}`,
          state,
        }),
      );
    if (params.get('decision') !== 'accept')
      return deny(65004, 'User declined to consent to access the app.');
    const picked = pickUser(params, tenants);
    if (!picked)
      return errorPage(50034, 'The user account does not exist in the directory. Pick an account.');
    const canGrantAppRoles =
      picked.wids.includes(roles.globalAdministrator) ||
      picked.wids.includes(roles.privilegedRoleAdministrator);
    if (!canGrantAppRoles) {
      return deny(
        90094,
        `The grant requires admin permission. ${app.displayName} needs permission to access resources in your organization that only an admin can grant.`,
      );
    }
    directory.grantGraphAppRoles(picked.tenant.id, app.appId, applicationPermissions);
    return redirect(
      withQuery(redirectUri, {
        admin_consent: 'True',
        tenant: picked.tenant.id,
        scope: params.get('scope') ?? undefined,
        state,
      }),
    );
  };
}
