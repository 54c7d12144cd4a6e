import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { statusOf } from '../lib/invitations/invitation-service.js';
import { formTokenMatches, newFormToken, readForm } from '../lib/pages/form-token.js';
import { html } from '../lib/pages/html.js';
import { messagePage, page } from '../lib/pages/page-layout.js';
import { resultPage } from '../lib/pages/result-page.js';

/** POST /api/onboarding/{token}/check — "check again": validates the connection anew, while the link is valid. */
export async function onboardingCheck(request: HttpRequest): Promise<HttpResponseInit> {
  const token = request.params.token ?? '';
  const app = services();
  const form = await readForm(request);
  if (!form || !formTokenMatches(request, form)) {
    return messagePage(400, 'Please start again', 'Open the invitation link again, then check again.');
  }
  const found = await app.onboarding.findInvitation(token);
  const tenantId = found?.record.tenantId;
  if (
    !found ||
    !tenantId ||
    statusOf({ ...found.record, completedAt: undefined }, new Date()) !== 'pending'
  ) {
    return messagePage(410, 'This link cannot be used', 'The invitation link has expired or was withdrawn.');
  }
  const result = await app.tenantValidation.revalidate(tenantId);
  const fresh = newFormToken();
  const checkAgain = { action: `/api/onboarding/${encodeURIComponent(token)}/check`, formToken: fresh.token };
  if (!result.ok) {
    const response = page(
      200,
      'The connection does not work',
      html`<h1>The connection does not work</h1><p class="error">${result.problem.message}</p>
<form method="post" action="${checkAgain.action}"><input type="hidden" name="form" value="${checkAgain.formToken}"><button type="submit">Check again</button></form>`,
    );
    return { ...response, cookies: [fresh.cookie] };
  }
  const response = resultPage({ tenant: result.tenant, report: result.report, checkAgain });
  return { ...response, cookies: [fresh.cookie] };
}

functions.http('onboarding-check', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'onboarding/{token}/check',
  handler: onboardingCheck,
});
