import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { listCredentials, listedCredentialSchema } from '../lib/credentials/credential-listing.js';

coreEndpoint({
  name: 'credentials-list',
  method: 'GET',
  route: 'credentials',
  summary: "Every connected tenant's service secrets, soonest to end first",
  tag: 'Tenants',
  responses: {
    200: {
      description:
        'Each service’s secret: when it ends, who renews it, its rotation. Looks at every tenant (Key Vault and its app’s token): use it for an overview, not for polling.',
      schema: z.object({ value: z.array(listedCredentialSchema) }),
    },
  },
  handler: async ({ services }) => ({
    status: 200,
    body: {
      value: await listCredentials(services.registry, services.serviceCredentials),
    },
  }),
});
