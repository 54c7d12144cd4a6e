import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { CredentialProblem } from '../lib/identity/credential-problem.js';
import { InvitationUnavailable } from '../lib/invitations/invitation-errors.js';
import { OnboardingRefused } from '../lib/onboarding/onboarding-errors.js';
import { clearedSignInCookie, SignInStateError } from '../lib/onboarding/sign-in-state.js';
import { clientIp, newFormToken } from '../lib/pages/form-token.js';
import { nextStepsMarkup } from '../lib/pages/next-steps.js';
import { messagePage } from '../lib/pages/page-layout.js';
import { resultPage } from '../lib/pages/result-page.js';

/**
 * GET /api/onboarding/callback — Microsoft's redirect after the admin's sign-in. The state (and its cookie) is
 * checked before anything else; the tenant comes from the id_token's `tid`; the registration is made once.
 */
export async function onboardingCallback(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const app = services();
  const cookies = [clearedSignInCookie];
  const refuse = (status: number, title: string, message: string) => ({
    ...messagePage(status, title, message),
    cookies,
  });
  if (request.url.length > 8192)
    return refuse(414, 'Please start again', 'The sign-in came back with too much data.');
  let round: Awaited<ReturnType<typeof app.signInStates.complete>>;
  try {
    round = await app.signInStates.complete(request, 'sign_in');
  } catch (error) {
    if (error instanceof SignInStateError) {
      context.warn(`sign-in callback refused: ${error.code}`);
      return refuse(400, 'Please start again', error.message);
    }
    throw error;
  }
  const error = request.query.get('error');
  if (error) {
    const description = request.query.get('error_description') ?? '';
    const declined = error === 'access_denied' && /AADSTS65004/.test(description);
    return refuse(
      400,
      declined ? 'Consent declined' : 'Microsoft did not sign you in',
      declined
        ? 'You declined the permissions, so nothing was created. Open the invitation link to try again, or register the app yourself.'
        : `Microsoft answered: ${description || error}`,
    );
  }
  const code = request.query.get('code');
  if (!code) return refuse(400, 'Please start again', 'The sign-in came back without a code.');
  try {
    const invitation = await app.onboarding.openInvitation(round.cookie.token);
    if (invitation.id !== round.record.invitationId)
      return refuse(400, 'Please start again', 'This sign-in belongs to another invitation.');
    const admin = await app.provisioning.redeem(code, round.cookie.verifier);
    await app.onboarding.checkExpectedTenant(invitation, admin.tenantId);
    await app.onboarding.ensureNotConnected(invitation, admin.tenantId);
    const outcome = await app.automatic.run(invitation, admin);
    const report = app.onboarding.validate(invitation.record, outcome.facts, invitation.record.automaticDns);
    const tenant = await app.onboarding.finish(invitation, {
      tenantId: admin.tenantId,
      clientId: outcome.clientId,
      servicePrincipalId: outcome.facts.servicePrincipalId,
      method: 'automatic',
      report,
      ip: clientIp(request),
    });
    const form = newFormToken();
    let nextSteps: ReturnType<typeof nextStepsMarkup> | undefined;
    const consentCookies = [];
    if (report.verdict !== 'ready' && !outcome.granted) {
      const consent = await app.signInStates.begin({
        purpose: 'consent',
        invitationId: invitation.id,
        tenantId: admin.tenantId,
        verifier: '-',
        token: round.cookie.token,
      });
      consentCookies.push(consent.cookie);
      nextSteps = nextStepsMarkup({
        consentUrl: app.provisioning.adminConsentUrl(admin.tenantId, outcome.clientId, consent.state),
        clientId: outcome.clientId,
        report,
      });
    }
    const response = resultPage({
      tenant,
      report,
      nextSteps,
      checkAgain: {
        action: `/api/onboarding/${encodeURIComponent(round.cookie.token)}/check`,
        formToken: form.token,
      },
    });
    return { ...response, cookies: [...(consentCookies.length ? consentCookies : cookies), form.cookie] };
  } catch (failure) {
    if (failure instanceof InvitationUnavailable)
      return refuse(410, 'This invitation cannot be used', failure.message);
    if (failure instanceof OnboardingRefused) {
      context.warn(`automatic registration refused: ${failure.code}`);
      return refuse(
        failure.code === 'tenant_already_connected' ? 409 : 403,
        'The app was not registered',
        failure.message,
      );
    }
    if (failure instanceof CredentialProblem) return refuse(400, 'Sign-in failed', failure.message);
    throw failure;
  }
}

functions.http('onboarding-callback', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'onboarding/callback',
  handler: onboardingCallback,
});
