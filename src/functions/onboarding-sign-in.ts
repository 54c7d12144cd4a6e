import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { InvitationUnavailable } from '../lib/invitations/invitation-errors.js';
import { messagePage } from '../lib/pages/page-layout.js';

/** GET /api/onboarding/{token}/sign-in — starts the admin's Microsoft sign-in for automatic registration. */
export async function onboardingSignIn(request: HttpRequest): Promise<HttpResponseInit> {
  const token = request.params.token ?? '';
  const app = services();
  let invitation: Awaited<ReturnType<typeof app.onboarding.openInvitation>>;
  try {
    invitation = await app.onboarding.openInvitation(token);
  } catch (error) {
    if (error instanceof InvitationUnavailable)
      return messagePage(410, 'This invitation cannot be used', error.message);
    throw error;
  }
  if (invitation.record.method === 'manual') {
    return messagePage(
      400,
      'Manual registration only',
      'Your service provider asked you to register the app yourself: use the form on the invitation page.',
    );
  }
  if (!app.provisioning.configured) {
    return messagePage(
      503,
      'Automatic registration is not available',
      'The service provider has not set up automatic registration. Use the manual path on the invitation page.',
    );
  }
  const { verifier, challenge } = await app.provisioning.pkce();
  const { state, cookie } = await app.signInStates.begin({
    purpose: 'sign_in',
    invitationId: invitation.id,
    verifier,
    token,
  });
  const location = await app.provisioning.authorizeUrl({
    state,
    challenge,
    tenantHint: invitation.record.expectedTenant,
  });
  return {
    status: 302,
    headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    cookies: [cookie],
  };
}

functions.http('onboarding-sign-in', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'onboarding/{token}/sign-in',
  handler: onboardingSignIn,
});
