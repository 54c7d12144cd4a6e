import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { CredentialProblem } from '../lib/identity/credential-problem.js';
import { InvitationUnavailable } from '../lib/invitations/invitation-errors.js';
import { OnboardingRefused } from '../lib/onboarding/onboarding-errors.js';
import { clientIp, formTokenMatches, newFormToken, readForm } from '../lib/pages/form-token.js';
import { landingPage } from '../lib/pages/landing-page.js';
import { messagePage } from '../lib/pages/page-layout.js';
import { resultPage } from '../lib/pages/result-page.js';

/**
 * POST /api/onboarding/{token}/manual — the admin's own app registration: checked with Microsoft before anything
 * is stored; a refusal shows the landing page again with what to fix (never the secret).
 */
export async function onboardingManual(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const token = request.params.token ?? '';
  const app = services();
  const form = await readForm(request);
  if (!form) return messagePage(413, 'Too much data', 'The form sent more data than it can hold.');
  if (!formTokenMatches(request, form)) {
    return messagePage(
      400,
      'Please start again',
      'This form was not sent from the invitation page in this browser. Open the invitation link again.',
    );
  }
  const values = { tenantId: form.get('tenantId') ?? '', clientId: form.get('clientId') ?? '' };
  const fresh = newFormToken();
  try {
    const { tenant, report } = await app.onboarding.registerManually(token, {
      ...values,
      clientSecret: form.get('clientSecret') ?? '',
      ip: clientIp(request),
    });
    const response = resultPage({
      tenant,
      report,
      checkAgain: { action: `/api/onboarding/${encodeURIComponent(token)}/check`, formToken: fresh.token },
    });
    return { ...response, cookies: [fresh.cookie] };
  } catch (error) {
    if (error instanceof InvitationUnavailable)
      return messagePage(410, 'This invitation cannot be used', error.message);
    const refusal =
      error instanceof CredentialProblem
        ? {
            message: error.message,
            field:
              error.code === 'invalid_secret' || error.code === 'secret_expired'
                ? 'clientSecret'
                : error.code === 'app_not_found'
                  ? 'clientId'
                  : error.code === 'tenant_not_found'
                    ? 'tenantId'
                    : undefined,
          }
        : error instanceof OnboardingRefused
          ? { message: error.message, field: error.field }
          : undefined;
    if (!refusal) throw error;
    context.warn(
      `manual registration refused: ${error instanceof CredentialProblem ? error.code : (error as OnboardingRefused).code}`,
    );
    const invitation = await app.onboarding.openInvitation(token);
    const response = landingPage({ invitation, token, formToken: fresh.token, error: refusal, values }, 400);
    return { ...response, cookies: [fresh.cookie] };
  }
}

functions.http('onboarding-manual', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'onboarding/{token}/manual',
  handler: onboardingManual,
});
