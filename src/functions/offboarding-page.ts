import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import { OffboardingPageUnavailable } from '../lib/offboarding/offboarding-errors.js';
import { refusalResponse } from '../lib/onboarding/browser/browser-responses.js';
import { onboardingRoutes } from '../lib/onboarding/onboarding-urls.js';
import { offboardingPage } from '../lib/pages/offboarding-page.js';
import { messagePage } from '../lib/pages/page-layout.js';

/** GET /api/offboarding/{token}: for the customer's admin, what the offboarding removed and what is left to them. */
export async function offboardingPageHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    return offboardingPage(await services().tenantOffboarding.customerView(request.params.token ?? ''));
  } catch (error) {
    if (error instanceof OffboardingPageUnavailable)
      return messagePage(error.reason === 'unknown' ? 404 : 410, 'Nothing to see here', error.message);
    return refusalResponse(error, invocationLogger(context), 'offboarding page');
  }
}

functions.http('offboarding-page', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: onboardingRoutes.offboarding,
  handler: offboardingPageHandler,
});
