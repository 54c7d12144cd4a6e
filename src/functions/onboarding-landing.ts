import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import { InvitationUnavailable } from '../lib/invitations/invitation-errors.js';
import { refusalResponse, resultResponse } from '../lib/onboarding/browser/browser-responses.js';
import { onboardingRoutes } from '../lib/onboarding/onboarding-urls.js';
import { newFormToken } from '../lib/pages/form-token.js';
import { landingPage } from '../lib/pages/landing-page.js';

/** GET /api/onboarding/{token} — the invitation's landing page; after completion, the connection's report. */
export async function onboardingLanding(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const token = request.params.token ?? '';
  const { invitationAccess, cloud } = services();
  try {
    const invitation = await invitationAccess.open(token);
    const form = newFormToken();
    const page = landingPage({ invitation, token, formToken: form.token, teamsApis: cloud.teamsApis });
    return { ...page, cookies: [form.cookie] };
  } catch (error) {
    const done =
      error instanceof InvitationUnavailable && error.status === 'completed'
        ? await invitationAccess.result(token)
        : undefined;
    if (done) return resultResponse({ ...done, token });
    return refusalResponse(error, invocationLogger(context), 'invitation link');
  }
}

functions.http('onboarding-landing', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: onboardingRoutes.landing,
  handler: onboardingLanding,
});
