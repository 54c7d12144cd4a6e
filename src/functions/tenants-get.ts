import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { serviceCredentialSchema } from '../lib/credentials/credential-view.js';
import { ConnectorError } from '../lib/errors/connector-error.js';
import { nearRealTimeViewSchema } from '../lib/near-real-time/near-real-time-view.js';
import { offboardingViewSchema, toOffboardingView } from '../lib/offboarding/offboarding-progress.js';
import { vaultRetentionDays } from '../lib/offboarding/tenant-offboarding.js';
import { isLeaving, tenantViewSchema } from '../lib/tenants/tenant-record.js';

coreEndpoint({
  name: 'tenants-get',
  method: 'GET',
  route: 'tenants/{tenantId}',
  summary: "Read a tenant's connection status, with each service's secret (expiry, renewal, rotation)",
  tag: 'Tenants',
  params: z.object({ tenantId: z.uuid() }),
  responses: {
    200: {
      description: 'The tenant.',
      schema: tenantViewSchema.extend({
        credentials: z
          .array(serviceCredentialSchema)
          .optional()
          .describe(
            'Left out while the tenant’s app or Key Vault cannot be reached, and once it is offboarding',
          ),
        accessTokens: z
          .object({
            issued: z.number().int().describe('Answers that carried access tokens'),
            lastIssuedAt: z.iso.datetime().optional(),
            requestsThisHour: z.number().int(),
            limitPerHour: z.number().int().describe('ACCESS_TOKEN_REQUESTS_PER_HOUR'),
          })
          .optional()
          .describe('Access tokens handed to the platform (POST …/services/{serviceId}/access-tokens)'),
        nearRealTime: nearRealTimeViewSchema
          .optional()
          .describe(
            'Near-real-time replication: its Graph subscriptions and notifications (PUT …/near-real-time)',
          ),
        offboarding: offboardingViewSchema
          .optional()
          .describe(
            'Its offboarding, under way or done: what was removed, what the customer must still remove',
          ),
      }),
    },
    404: { description: 'No such tenant.' },
  },
  handler: async ({ params, services }) => {
    const tenantId = params.tenantId.toLowerCase();
    const view = await services.registry.view(tenantId);
    if (isLeaving(view.status)) {
      const offboarding = await services.tenantOffboarding.progress(tenantId);
      // Read again after the offboarding: its end and the tombstone are one write, so the two then agree.
      const current = offboarding ? await services.registry.view(tenantId) : view;
      return {
        status: 200,
        body: {
          ...current,
          ...(offboarding ? { offboarding: toOffboardingView(offboarding, vaultRetentionDays) } : {}),
        },
      };
    }
    const credentials = await services.serviceCredentials(tenantId, view.services).catch((error: unknown) => {
      if (error instanceof ConnectorError) return undefined;
      throw error;
    });
    const accessTokens = await services.accessTokenBudget.counts(tenantId);
    const nearRealTime = await services.tenantSubscriptions.view(tenantId);
    return {
      status: 200,
      body: { ...view, ...(credentials ? { credentials } : {}), accessTokens, nearRealTime },
    };
  },
});
