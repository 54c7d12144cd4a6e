import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { serviceCredentialSchema } from '../lib/credentials/credential-view.js';
import { ConnectorError } from '../lib/errors/connector-error.js';
import { tenantViewSchema } from '../lib/tenants/tenant-record.js';

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
          .describe('Left out while the tenant’s app or Key Vault cannot be reached'),
      }),
    },
    404: { description: 'No such tenant.' },
  },
  handler: async ({ params, services }) => {
    const tenantId = params.tenantId.toLowerCase();
    const view = await services.registry.view(tenantId);
    const credentials = await services.serviceCredentials(tenantId, view.services).catch((error: unknown) => {
      if (error instanceof ConnectorError) return undefined;
      throw error;
    });
    return { status: 200, body: { ...view, ...(credentials ? { credentials } : {}) } };
  },
});
