import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import { CredentialProblem } from '../lib/identity/credential-problem.js';
import { readOwnForm, refusalResponse } from '../lib/onboarding/browser/browser-responses.js';
import { onboardingPath, onboardingRoutes } from '../lib/onboarding/onboarding-urls.js';
import { newFormToken } from '../lib/pages/form-token.js';
import { messagePage } from '../lib/pages/page-layout.js';
import { serviceSecretDonePage, serviceSecretPage } from '../lib/pages/service-secret-page.js';
import { ServiceLinkUnavailable } from '../lib/services/service-errors.js';

const unavailablePage = (error: ServiceLinkUnavailable) =>
  messagePage(
    error.reason === 'unknown' ? 404 : error.reason === 'expired' ? 410 : 200,
    'Nothing to do here',
    error.message,
  );

/** The form, under a fresh form token; with what to fix when Microsoft refused the secret. */
async function formPage(token: string, status: number, error?: string): Promise<HttpResponseInit> {
  const link = await services().tenantServices.describeLink(token);
  const form = newFormToken();
  const action = onboardingPath(onboardingRoutes.serviceSecret, token);
  return {
    ...serviceSecretPage({ link, action, formToken: form.token, error }, status),
    cookies: [form.cookie],
  };
}

/**
 * GET and POST /api/service-secrets/{token}: a customer's admin gives a new service its secret. Nothing is stored
 * until Microsoft accepts the secret for the tenant's app.
 */
export async function serviceSecret(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const token = request.params.token ?? '';
  const log = invocationLogger(context);
  try {
    if (request.method === 'GET') return await formPage(token, 200);
    const form = await readOwnForm(
      request,
      'This form was not sent from the service page in this browser. Open the link again.',
    );
    try {
      const view = await services().tenantServices.completeWithCustomerSecret(
        token,
        form.get('clientSecret') ?? '',
      );
      return serviceSecretDonePage(view);
    } catch (error) {
      if (!(error instanceof CredentialProblem)) throw error;
      log.warn(`service secret refused: ${error.code}`);
      return await formPage(token, 400, error.message);
    }
  } catch (error) {
    if (error instanceof ServiceLinkUnavailable) return unavailablePage(error);
    return refusalResponse(error, log, 'service secret');
  }
}

functions.http('service-secret', {
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  route: onboardingRoutes.serviceSecret,
  handler: serviceSecret,
});
