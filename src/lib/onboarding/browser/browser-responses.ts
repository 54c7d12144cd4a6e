import type { Cookie, HttpRequest, HttpResponseInit } from '@azure/functions';
import { asError, errorCode } from '../../errors/connector-error.js';
import type { Logger } from '../../hosting/logger.js';
import { readForm } from '../../http/browser-request.js';
import { CredentialProblem } from '../../identity/credential-problem.js';
import { formTokenMatches, newFormToken } from '../../pages/form-token.js';
import { html, type SafeHtml } from '../../pages/html.js';
import { landingPage } from '../../pages/landing-page.js';
import { messagePage, page } from '../../pages/page-layout.js';
import { checkAgainForm, resultPage } from '../../pages/result-page.js';
import type { TenantView } from '../../tenants/tenant-record.js';
import type { ValidationReport } from '../../validation/validate-registration.js';
import type { InvitationAccess } from '../invitation-access.js';
import { OnboardingRefused } from '../onboarding-errors.js';
import { onboardingPath, onboardingRoutes } from '../onboarding-urls.js';
import { clearedSignInCookie, type SignInStateRecord, type SignInStates } from '../sign-in-state.js';
import { BrowserRefused } from './browser-refused.js';
import { refusalPage } from './refusal-pages.js';

/** Microsoft's redirects carry a few hundred characters; far more is not Microsoft. */
const maxReturnUrlLength = 8192;

/**
 * A refusal as the page the browser gets (its status and title from the refusal table, the error's message as
 * the text), with `cookies`; anything that is not a refusal is rethrown (the host answers 500 and logs it).
 */
export function refusalResponse(
  error: unknown,
  log: Logger,
  where: string,
  cookies: Cookie[] = [],
  token?: string,
): HttpResponseInit {
  const code = errorCode(error);
  const refusal = refusalPage(code);
  if (!refusal) throw error;
  log.warn(`${where} refused: ${code}`);
  if (refusal.stateKept) cookies = [];
  const message = refusal.text ?? asError(error).message;
  if (refusal.again && token) {
    const body = html`<h1>${refusal.title}</h1>
<p>${message}</p>
<p><a class="button" href="${onboardingPath(onboardingRoutes.landing, token)}">Back to the invitation</a></p>`;
    return { ...page(refusal.status, refusal.title, body), cookies };
  }
  return { ...messagePage(refusal.status, refusal.title, message), cookies };
}

/** The connection's report with "Check again" (under a fresh form token), setting `cookies` too. */
export function resultResponse(input: {
  tenant: TenantView;
  report: ValidationReport;
  token: string;
  nextSteps?: SafeHtml;
  cookies?: Cookie[];
}): HttpResponseInit {
  const form = newFormToken();
  const response = resultPage({
    tenant: input.tenant,
    report: input.report,
    nextSteps: input.nextSteps,
    checkAgain: { action: onboardingPath(onboardingRoutes.check, input.token), formToken: form.token },
  });
  return { ...response, cookies: [...(input.cookies ?? []), form.cookie] };
}

/** "Check again" found credentials that do not work: why, and the button to check once they are fixed. */
export function connectionFailedResponse(message: string, token: string): HttpResponseInit {
  const form = newFormToken();
  const body = html`<h1>The connection does not work</h1>
<p class="error">${message}</p>
${checkAgainForm({ action: onboardingPath(onboardingRoutes.check, token), formToken: form.token })}`;
  return { ...page(200, 'The connection does not work', body), cookies: [form.cookie] };
}

const microsoftRefusal = (purpose: SignInStateRecord['purpose'], error: string, description: string) => {
  if (purpose === 'consent')
    return new BrowserRefused(
      'consent_not_granted',
      `Microsoft answered: ${description || error}. Nothing changed.`,
    );
  // Decided on the OAuth error alone: Microsoft says not to read error_description (shown only as it is).
  if (error === 'access_denied')
    return new BrowserRefused(
      'sign_in_declined',
      'You declined the permissions, so nothing was created. Open the invitation link to try again, or register the app yourself.',
    );
  if (error === 'consent_required')
    return new BrowserRefused(
      'sign_in_needs_consent',
      'The permissions need an administrator’s consent, so nothing was created. Sign in as an Application Administrator or Global Administrator, or register the app yourself.',
    );
  return new BrowserRefused('microsoft_sign_in_error', `Microsoft answered: ${description || error}`);
};

/** The parameters of Microsoft's redirect the connector acts on: each must come once. */
const singleParameters = ['state', 'code', 'error', 'tenant'] as const;

/**
 * The first of those given more than once, if any: in the URL, or as the Functions host hands a repeated one
 * over (its values comma-joined; none of these values has a comma of its own).
 */
function repeatedParameter(request: HttpRequest): string | undefined {
  const search = new URL(request.url).searchParams;
  return singleParameters.find(
    (name) => search.getAll(name).length > 1 || request.query.get(name)?.includes(','),
  );
}

/**
 * Microsoft's redirect back to the connector, checked before anything else: its size, each parameter it acts on
 * given once (the state is not used up by a refused one), then its state (one-time,
 * bound to this browser's cookie, used up here), then whether Microsoft reports an error. Refusals throw.
 */
export async function completeRoundTrip(
  states: SignInStates,
  request: HttpRequest,
  purpose: SignInStateRecord['purpose'],
) {
  if (request.url.length > maxReturnUrlLength)
    throw new BrowserRefused(
      'return_too_long',
      `The ${purpose === 'consent' ? 'consent' : 'sign-in'} came back with too much data.`,
    );
  const repeated = repeatedParameter(request);
  if (repeated)
    throw new BrowserRefused(
      'return_repeated_parameter',
      `The ${purpose === 'consent' ? 'consent' : 'sign-in'} came back with '${repeated}' more than once, so it cannot be trusted. Nothing changed.`,
    );
  const round = await states.complete(request, purpose);
  const error = request.query.get('error');
  if (error) throw microsoftRefusal(purpose, error, request.query.get('error_description') ?? '');
  return round;
}

/** A form posted from one of our pages in this browser (its double-submit token matches), or a refusal. */
export async function readOwnForm(request: HttpRequest, notOurs: string): Promise<URLSearchParams> {
  const form = await readForm(request);
  if (!form) throw new BrowserRefused('form_too_large', 'The form sent more data than it can hold.');
  if (!formTokenMatches(request, form)) throw new BrowserRefused('form_not_ours', notOurs);
  return form;
}

/**
 * A refused manual form (what the admin entered, or what Microsoft said of the credentials) as the form again
 * with the message at the field it concerns; undefined for any other error.
 */
export async function manualFormRefusedResponse(
  access: InvitationAccess,
  input: {
    error: unknown;
    token: string;
    values: { tenantId: string; clientId: string };
    teamsApis: boolean;
    log: Logger;
  },
): Promise<HttpResponseInit | undefined> {
  const { error } = input;
  if (!(error instanceof OnboardingRefused || error instanceof CredentialProblem)) return undefined;
  input.log.warn(`manual registration refused: ${error.code}`);
  const invitation = await access.open(input.token);
  const form = newFormToken();
  const refusal = { message: error.message, field: refusalPage(error.code)?.field };
  const response = landingPage(
    {
      invitation,
      token: input.token,
      formToken: form.token,
      error: refusal,
      values: input.values,
      teamsApis: input.teamsApis,
    },
    400,
  );
  return { ...response, cookies: [form.cookie] };
}

/** The round trip's cookie is cleared on every answer that ends it. */
export const endRoundTrip = [clearedSignInCookie];
