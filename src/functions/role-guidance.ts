import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import { refusalResponse } from '../lib/onboarding/browser/browser-responses.js';
import { onboardingPath, onboardingRoutes } from '../lib/onboarding/onboarding-urls.js';
import { messagePage } from '../lib/pages/page-layout.js';
import { roleGuidancePage } from '../lib/pages/role-guidance-page.js';
import { RoleGuidanceUnavailable } from '../lib/sites/site-errors.js';

/**
 * GET /api/role-guidance/{token}: what a new site needs the customer's admin to assign, checked afresh (a few times
 * at once, then once in a while; a minute-old answer between).
 */
export async function roleGuidance(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const token = request.params.token ?? '';
  try {
    const guidance = await services().siteRoles.guidance(token);
    return roleGuidancePage(guidance, onboardingPath(onboardingRoutes.roleGuidance, token));
  } catch (error) {
    if (error instanceof RoleGuidanceUnavailable) {
      if (error.reason !== 'busy')
        return messagePage(error.reason === 'unknown' ? 404 : 410, 'Nothing to do here', error.message);
      const busy = messagePage(429, 'Checked very often', error.message);
      return { ...busy, headers: { ...(busy.headers as Record<string, string>), 'retry-after': '60' } };
    }
    return refusalResponse(error, invocationLogger(context), 'role guidance');
  }
}

functions.http('role-guidance', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: onboardingRoutes.roleGuidance,
  handler: roleGuidance,
});
