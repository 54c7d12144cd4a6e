import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import { clientIp } from '../lib/http/browser-request.js';
import { BrowserRefused } from '../lib/onboarding/browser/browser-refused.js';
import {
  completeRoundTrip,
  endRoundTrip,
  refusalResponse,
  resultResponse,
} from '../lib/onboarding/browser/browser-responses.js';
import { onboardingRoutes } from '../lib/onboarding/onboarding-urls.js';
import { nextStepsMarkup } from '../lib/pages/next-steps.js';

/**
 * GET /api/callback/sign-in — Microsoft's redirect after the admin's sign-in: the state (and its cookie) is
 * checked before anything else, then automatic onboarding registers the app (once).
 */
export async function onboardingSignInCallback(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const app = services();
  let token: string | undefined;
  try {
    const round = await completeRoundTrip(app.signInStates, request, 'sign_in');
    token = round.cookie.token;
    const code = request.query.get('code');
    if (!code) throw new BrowserRefused('return_without_code', 'The sign-in came back without a code.');
    const result = await app.automaticOnboarding.complete({ ...round, code, ip: clientIp(request) });
    return resultResponse({
      tenant: result.tenant,
      report: result.report,
      token: round.cookie.token,
      nextSteps:
        result.consent &&
        nextStepsMarkup({ consentUrl: result.consent.url, clientId: result.clientId, report: result.report }),
      // The consent round trip's cookie takes the place of the sign-in's.
      cookies: result.consent ? [result.consent.cookie] : endRoundTrip,
    });
  } catch (error) {
    return refusalResponse(error, invocationLogger(context), 'sign-in callback', endRoundTrip, token);
  }
}

functions.http('onboarding-sign-in-callback', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: onboardingRoutes.signInCallback,
  handler: onboardingSignInCallback,
});
