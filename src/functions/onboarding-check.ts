import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import { BrowserRefused } from '../lib/onboarding/browser/browser-refused.js';
import {
  connectionFailedResponse,
  readOwnForm,
  refusalResponse,
  resultResponse,
} from '../lib/onboarding/browser/browser-responses.js';
import { onboardingRoutes } from '../lib/onboarding/onboarding-urls.js';

/** POST /api/onboarding/{token}/check — "check again": validates the connection anew, while the link is valid. */
export async function onboardingCheck(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const token = request.params.token ?? '';
  const app = services();
  try {
    await readOwnForm(request, 'Open the invitation link again, then check again.');
    const tenantId = await app.invitationAccess.connectedTenant(token);
    if (!tenantId)
      throw new BrowserRefused('check_link_unusable', 'The invitation link has expired or was withdrawn.');
    const result = await app.tenantValidation.revalidate(tenantId);
    return result.ok
      ? resultResponse({ ...result, token })
      : connectionFailedResponse(result.problem.message, token);
  } catch (error) {
    return refusalResponse(error, invocationLogger(context), 'check again');
  }
}

functions.http('onboarding-check', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: onboardingRoutes.check,
  handler: onboardingCheck,
});
