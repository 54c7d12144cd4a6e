import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { tenantViewSchema } from '../lib/tenants/tenant-record.js';

coreEndpoint({
  name: 'tenants-get',
  method: 'GET',
  route: 'tenants/{tenantId}',
  summary: "Read a tenant's connection status",
  tag: 'Tenants',
  params: z.object({ tenantId: z.uuid() }),
  responses: {
    200: { description: 'The tenant.', schema: tenantViewSchema },
    404: { description: 'No such tenant.' },
  },
  handler: async ({ params, services }) => ({
    status: 200,
    body: await services.registry.view(params.tenantId.toLowerCase()),
  }),
});
