import type { Directory } from '../directory.js';
import { json, readForm, type SimHandler, type SimResponse } from '../http-kit.js';
import { consentDelegated, paramsOf, pickUser } from './delegated-consent.js';
import { type DeviceCodes, deviceCodeLifetimeSeconds } from './device-codes.js';
import { entraError } from './entra-error.js';
import { graphScopes } from './scopes.js';
import { errorPage, escapeHtml, signInPage } from './sign-in-page.js';

/** Where a person enters the code: Entra's device page (microsoft.com/devicelogin leads there). */
export const deviceLoginPath = '/common/oauth2/deviceauth';

/**
 * `POST /{tenant}/oauth2/v2.0/devicecode`: starts a device authorization for an app and its scopes. Personal
 * accounts (`consumers`) are not served, as at Microsoft.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code#device-authorization-request
 */
export function deviceCodeEndpoint(
  directory: Directory,
  codes: DeviceCodes,
  authorityHost: string,
): SimHandler {
  return (request) => {
    const form = readForm(request);
    const reference = request.params.tenant ?? '';
    const clientId = form.get('client_id') ?? '';
    const anyTenant = ['organizations', 'common'].includes(reference.toLowerCase());
    if (!anyTenant && !directory.resolveTenant(reference))
      return entraError(400, 'invalid_request', 90002, `Tenant '${reference}' not found.`);
    const app = directory.applications.get(clientId);
    if (!app)
      return entraError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory.`,
      );
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    if (scopes.length === 0)
      return entraError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the 'scope' parameter.",
      );
    const grant = codes.issue({ clientId, tenantReference: reference, scopes });
    const verificationUri = `${authorityHost}${deviceLoginPath}`;
    return json(200, {
      user_code: grant.userCode,
      device_code: grant.deviceCode,
      verification_uri: verificationUri,
      expires_in: deviceCodeLifetimeSeconds,
      interval: codes.intervalSeconds,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${grant.userCode} to authenticate.`,
    });
  };
}

/** A plain page; `title` and `text` are text, escaped here. */
function page(title: string, text: string, status = 200): SimResponse {
  const body = text ? `<p>${escapeHtml(text)}</p>` : '';
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><p>Microsoft 365 simulator: no real account is involved.</p><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  };
}

function enterCodePage(problem?: string): SimResponse {
  const answer = page('Enter code', '', problem ? 400 : 200);
  const form = `${problem ? `<p role="alert">${escapeHtml(problem)}</p>` : ''}<p>Enter the code displayed on your app or device.</p><form method="post"><label>Code <input name="otc" autocomplete="off" required></label> <button type="submit">Next</button></form>`;
  return { ...answer, body: String(answer.body).replace('</body>', `${form}</body>`) };
}

/**
 * The device login page: enter the code (GET shows the form), then sign in and consent as on the sign-in page
 * (same account picker, same consent rules), which approves or declines the waiting device. The form posts
 * back with the code, so a test can post it without a browser.
 */
export function deviceLoginEndpoint(
  directory: Directory,
  codes: DeviceCodes,
  graphResources: readonly string[],
): SimHandler {
  return (request) => {
    if (request.method === 'GET') return enterCodePage();
    const params = paramsOf(request);
    const grant = codes.byUserCode(params.get('otc') ?? '');
    if (!grant) return enterCodePage('That code has expired or is not right. Check it and try again.');
    const app = directory.applications.get(grant.clientId);
    if (!app) return errorPage(700016, `Application with identifier '${grant.clientId}' was not found.`);
    const named = directory.resolveTenant(grant.tenantReference);
    const tenants = (named ? [named] : [...directory.tenants.values()]).filter(
      (tenant) => app.signInAudience === 'AzureADMultipleOrgs' || tenant.id === app.homeTenantId,
    );
    const decision = params.get('decision');
    if (!decision) {
      return signInPage({
        title: 'Sign in on another device',
        appName: app.displayName,
        permissions: grant.scopes,
        tenants,
        hidden: { otc: grant.userCode },
      });
    }
    if (decision !== 'accept') {
      grant.state = 'declined';
      return page(
        'Sign-in declined',
        `<p>You declined to sign in to ${app.displayName} on the other device.</p>`,
      );
    }
    const picked = pickUser(params, tenants);
    if (!picked)
      return errorPage(50034, 'The user account does not exist in the directory. Pick an account.');
    if (!consentDelegated(picked, app, graphScopes(grant.scopes, graphResources))) {
      grant.state = 'declined';
      return errorPage(
        90094,
        `The grant requires admin permission. ${app.displayName} needs permission to access resources in your organization that only an admin can grant.`,
      );
    }
    Object.assign(grant, { state: 'approved', tenantId: picked.tenant.id, userId: picked.user.id });
    return page(
      app.displayName,
      `You have signed in to ${app.displayName} on your device as ${picked.user.userPrincipalName}. You may now close this window.`,
    );
  };
}
