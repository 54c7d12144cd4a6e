import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { clearedSignInCookie, SignInStateError } from '../lib/onboarding/sign-in-state.js';
import { newFormToken } from '../lib/pages/form-token.js';
import { messagePage } from '../lib/pages/page-layout.js';
import { resultPage } from '../lib/pages/result-page.js';

/**
 * GET /api/onboarding/consent-callback — back from admin consent for the new app. `admin_consent=True` alone is
 * not success (Microsoft may send it with an error), and the `tenant` parameter is never trusted: the tenant is
 * the one the state was issued for, and the outcome is what validation finds.
 */
export async function onboardingConsentCallback(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const app = services();
  const cookies = [clearedSignInCookie];
  if (request.url.length > 8192)
    return {
      ...messagePage(414, 'Please start again', 'The consent came back with too much data.'),
      cookies,
    };
  let round: Awaited<ReturnType<typeof app.signInStates.complete>>;
  try {
    round = await app.signInStates.complete(request, 'consent');
  } catch (error) {
    if (error instanceof SignInStateError)
      return { ...messagePage(400, 'Please start again', error.message), cookies };
    throw error;
  }
  const error = request.query.get('error');
  if (error) {
    context.warn(`admin consent came back with an error: ${error}`);
    return {
      ...messagePage(
        400,
        'Consent was not granted',
        `Microsoft answered: ${request.query.get('error_description') ?? error}. Nothing changed.`,
      ),
      cookies,
    };
  }
  const tenantId = round.record.tenantId ?? '';
  const result = await app.tenantValidation.revalidate(tenantId);
  if (!result.ok)
    return { ...messagePage(400, 'The connection does not work', result.problem.message), cookies };
  const form = newFormToken();
  const response = resultPage({
    tenant: result.tenant,
    report: result.report,
    checkAgain: {
      action: `/api/onboarding/${encodeURIComponent(round.cookie.token)}/check`,
      formToken: form.token,
    },
  });
  return { ...response, cookies: [...cookies, form.cookie] };
}

functions.http('onboarding-consent-callback', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'onboarding/consent-callback',
  handler: onboardingConsentCallback,
});
