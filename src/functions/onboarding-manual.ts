import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { services } from '../app-services.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import { clientIp } from '../lib/http/browser-request.js';
import {
  manualFormRefusedResponse,
  readOwnForm,
  refusalResponse,
  resultResponse,
} from '../lib/onboarding/browser/browser-responses.js';
import { serviceSecretField } from '../lib/onboarding/manual/manual-onboarding.js';
import { onboardingRoutes } from '../lib/onboarding/onboarding-urls.js';

/**
 * POST /api/onboarding/{token}/manual — the admin's own app registration: checked with Microsoft before anything
 * is stored; a refusal shows the form again with what to fix (never the secret).
 */
export async function onboardingManual(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const token = request.params.token ?? '';
  const app = services();
  const log = invocationLogger(context);
  let values = { tenantId: '', clientId: '' };
  try {
    const form = await readOwnForm(
      request,
      'This form was not sent from the invitation page in this browser. Open the invitation link again.',
    );
    values = { tenantId: form.get('tenantId') ?? '', clientId: form.get('clientId') ?? '' };
    const serviceSecrets = Object.fromEntries(
      [...form.keys()]
        .filter((name) => name.startsWith(serviceSecretField('')))
        .map((name) => [name.slice(serviceSecretField('').length), form.get(name) ?? '']),
    );
    const credentials = {
      ...values,
      clientSecret: form.get('clientSecret') ?? '',
      serviceSecrets,
      ip: clientIp(request),
    };
    return resultResponse({ ...(await app.manualOnboarding.register(token, credentials)), token });
  } catch (error) {
    return (
      (await manualFormRefusedResponse(app.invitationAccess, {
        error,
        token,
        values,
        teamsApis: app.cloud.teamsApis,
        log,
      })) ?? refusalResponse(error, log, 'manual registration')
    );
  }
}

functions.http('onboarding-manual', {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: onboardingRoutes.manual,
  handler: onboardingManual,
});
