import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import { refusalResponse } from '../lib/onboarding/browser/browser-responses.js';
import { onboardingRoutes } from '../lib/onboarding/onboarding-urls.js';

/** GET /api/onboarding/{token}/sign-in — starts the admin's Microsoft sign-in for automatic registration. */
export async function onboardingSignIn(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const { location, cookie } = await services().automaticOnboarding.begin(request.params.token ?? '');
    return {
      status: 302,
      headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
      cookies: [cookie],
    };
  } catch (error) {
    return refusalResponse(error, invocationLogger(context), 'sign-in');
  }
}

functions.http('onboarding-sign-in', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: onboardingRoutes.signIn,
  handler: onboardingSignIn,
});
