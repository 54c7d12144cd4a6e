import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import {
  completeRoundTrip,
  endRoundTrip,
  refusalResponse,
  resultResponse,
} from '../lib/onboarding/browser/browser-responses.js';
import { onboardingRoutes } from '../lib/onboarding/onboarding-urls.js';
import { messagePage } from '../lib/pages/page-layout.js';

/**
 * GET /api/callback/consent — back from admin consent for the new app. `admin_consent=True` alone is
 * not success (Microsoft may send it with an error), and the `tenant` parameter is never trusted: the tenant is
 * the one the state was issued for, and the outcome is what validation finds.
 */
export async function onboardingAdminConsentCallback(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const app = services();
  try {
    const round = await completeRoundTrip(app.signInStates, request, 'consent');
    const result = await app.tenantValidation.revalidate(round.record.tenantId ?? '');
    if (!result.ok)
      return {
        ...messagePage(400, 'The connection does not work', result.problem.message),
        cookies: endRoundTrip,
      };
    return resultResponse({ ...result, token: round.cookie.token, cookies: endRoundTrip });
  } catch (error) {
    return refusalResponse(error, invocationLogger(context), 'admin consent callback', endRoundTrip);
  }
}

functions.http('onboarding-admin-consent-callback', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: onboardingRoutes.adminConsentCallback,
  handler: onboardingAdminConsentCallback,
});
