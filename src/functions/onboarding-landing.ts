import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { InvitationUnavailable } from '../lib/invitations/invitation-errors.js';
import { statusOf } from '../lib/invitations/invitation-service.js';
import { newFormToken } from '../lib/pages/form-token.js';
import { landingPage } from '../lib/pages/landing-page.js';
import { messagePage } from '../lib/pages/page-layout.js';
import { resultPage } from '../lib/pages/result-page.js';
import { lastReport } from '../lib/tenants/tenant-record.js';

/** GET /api/onboarding/{token} — the invitation's landing page; after completion, the connection's report. */
export async function onboardingLanding(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const token = request.params.token ?? '';
  const app = services();
  const form = newFormToken();
  try {
    const invitation = await app.onboarding.openInvitation(token);
    const response = landingPage({ invitation, token, formToken: form.token });
    return { ...response, cookies: [form.cookie] };
  } catch (error) {
    if (!(error instanceof InvitationUnavailable)) throw error;
    const found = error.status === 'completed' ? await app.onboarding.findInvitation(token) : undefined;
    const tenantId = found?.record.tenantId;
    const stored = tenantId ? await app.registry.get(tenantId) : undefined;
    const report = stored && lastReport(stored.entity);
    if (
      found &&
      stored &&
      report &&
      statusOf({ ...found.record, completedAt: undefined }, new Date()) === 'pending'
    ) {
      const tenant = await app.registry.view(tenantId as string);
      const response = resultPage({
        tenant,
        report,
        checkAgain: { action: `/api/onboarding/${encodeURIComponent(token)}/check`, formToken: form.token },
      });
      return { ...response, cookies: [form.cookie] };
    }
    context.log(`invitation link refused: ${error.status}`);
    return messagePage(
      error.status === 'unknown' ? 404 : 410,
      'This invitation cannot be used',
      error.message,
    );
  }
}

functions.http('onboarding-landing', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'onboarding/{token}',
  handler: onboardingLanding,
});
