import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { addServiceSchema, serviceRemovalSchema, serviceViewSchema } from '../lib/services/service-schema.js';

coreEndpoint({
  name: 'tenants-services-add',
  method: 'POST',
  route: 'tenants/{tenantId}/services',
  summary:
    'Add a Direct Routing service to an onboarded tenant, with a new secret of its own (tenant.service_added follows)',
  tag: 'Services',
  params: z.object({ tenantId: z.uuid() }),
  body: addServiceSchema,
  responses: {
    201: {
      description: 'The service is added: its secret is in Key Vault and proven.',
      schema: serviceViewSchema,
    },
    200: { description: 'The same request had added it already.', schema: serviceViewSchema },
    202: {
      description:
        'The registration cannot add a secret to itself: the customer’s admin gives it through `secretLink` (a new link on each request; each works until the request’s expiry), then tenant.service_added follows.',
      schema: serviceViewSchema,
    },
    404: { description: 'No such tenant (or it was offboarded).' },
    409: {
      description:
        'The id is taken with other details; the tenant’s credentials do not work; or its policy refuses new secrets.',
    },
    503: {
      description:
        'Adding the service must wait (the new secret does not work yet, Key Vault or Graph is not answering): the connector carries on by itself; send the same request again for the result.',
    },
  },
  handler: async ({ params: { tenantId }, body, services }) => {
    const { outcome, view } = await services.tenantServices.add(tenantId.toLowerCase(), body);
    return { status: { added: 201, unchanged: 200, awaiting_customer: 202 }[outcome], body: view };
  },
});

coreEndpoint({
  name: 'tenants-services-remove',
  method: 'DELETE',
  route: 'tenants/{tenantId}/services/{serviceId}',
  summary: 'Remove a service: its password from the app where the connector can, and its Key Vault secret',
  tag: 'Services',
  params: z.object({ tenantId: z.uuid(), serviceId: z.string().min(1).max(40) }),
  body: z.strictObject({
    tenantId: z.uuid().describe('The tenant the path names, repeated so the signature binds what is removed'),
    serviceId: z.string().min(1).max(40).describe('The service the path names, repeated likewise'),
  }),
  bodyRepeats: ['tenantId', 'serviceId'],
  responses: {
    200: {
      description:
        'Removed; what the customer’s admin must still remove, if anything. A service still waiting for the customer’s secret is withdrawn (`withdrawn`): its links stop working.',
      schema: serviceRemovalSchema,
    },
    404: { description: 'No such tenant or service.' },
    409: { description: 'The tenant’s last service: offboard the tenant instead.' },
  },
  handler: async ({ params: { tenantId, serviceId }, services }) => ({
    status: 200,
    body: await services.tenantServices.remove(tenantId.toLowerCase(), serviceId),
  }),
});
