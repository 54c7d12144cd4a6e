import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { tenantStatuses, tenantViewSchema } from '../lib/tenants/tenant-record.js';

coreEndpoint({
  name: 'tenants-list',
  method: 'GET',
  route: 'tenants',
  summary: 'List connected tenants, newest first',
  tag: 'Tenants',
  query: z
    .object({
      status: z.enum(tenantStatuses).optional(),
      top: z.coerce.number().int().min(1).max(200).default(50),
    })
    .strict(),
  responses: { 200: { description: 'Tenants.', schema: z.object({ value: z.array(tenantViewSchema) }) } },
  handler: async ({ query, services }) => ({
    status: 200,
    body: { value: await services.registry.list(query) },
  }),
});
