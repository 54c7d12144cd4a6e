import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { addSiteSchema, siteViewSchema } from '../lib/sites/site-schema.js';

const tenantParams = z.object({ tenantId: z.uuid() });
const siteParams = z.object({ tenantId: z.uuid(), siteId: z.string().min(1).max(40) });

coreEndpoint({
  name: 'tenants-sites-add',
  method: 'POST',
  route: 'tenants/{tenantId}/sites',
  summary:
    'Add a site: a sub-domain of the SBC base domain in the tenant, verified and activated (site.dns_record_required, then site.activated or site.failed)',
  tag: 'Sites',
  params: tenantParams,
  body: addSiteSchema,
  responses: {
    202: { description: 'The site is under way; follow it on GET …/sites/{siteId}.', schema: siteViewSchema },
    200: {
      description:
        'The same request had started it already (or, for a failed site, it starts again where it failed).',
      schema: siteViewSchema,
    },
    400: { description: 'The label makes a sub-domain Microsoft does not take (too long).' },
    404: { description: 'No such tenant (or it was offboarded).' },
    409: {
      description:
        'The site id or the sub-domain is taken; the app lacks the roles a site needs (`missingRoles`, `missingPermissions` and a `guidanceUrl` for the customer’s admin); the tenant’s credentials do not work; or SBC_BASE_DOMAIN is not set.',
    },
  },
  handler: async ({ params: { tenantId }, body, services }) => {
    const { outcome, view } = await services.tenantSites.add(tenantId.toLowerCase(), body);
    return { status: outcome === 'started' ? 202 : 200, body: view };
  },
});

coreEndpoint({
  name: 'tenants-sites-list',
  method: 'GET',
  route: 'tenants/{tenantId}/sites',
  summary: 'The tenant’s sites: step, DNS records, activation user, last error, next attempt',
  tag: 'Sites',
  params: tenantParams,
  responses: {
    200: { description: 'Every site of the tenant.', schema: z.object({ value: z.array(siteViewSchema) }) },
    404: { description: 'No such tenant.' },
  },
  handler: async ({ params: { tenantId }, services }) => ({
    status: 200,
    body: { value: await services.tenantSites.list(tenantId.toLowerCase()) },
  }),
});

coreEndpoint({
  name: 'tenants-sites-get',
  method: 'GET',
  route: 'tenants/{tenantId}/sites/{siteId}',
  summary: 'One site: its step, DNS records, activation user, last error and next attempt',
  tag: 'Sites',
  params: siteParams,
  responses: {
    200: { description: 'The site.', schema: siteViewSchema },
    404: { description: 'No such tenant or site.' },
  },
  handler: async ({ params: { tenantId, siteId }, services }) => ({
    status: 200,
    body: await services.tenantSites.view(tenantId.toLowerCase(), siteId),
  }),
});

coreEndpoint({
  name: 'tenants-sites-verify',
  method: 'POST',
  route: 'tenants/{tenantId}/sites/{siteId}/verify',
  summary:
    'The core published the site’s DNS records: verify the sub-domain now (retried with backoff when not yet seen)',
  tag: 'Sites',
  params: siteParams,
  responses: {
    200: {
      description: 'The site after the attempt (still awaiting_dns while Microsoft does not see the record).',
      schema: siteViewSchema,
    },
    404: { description: 'No such tenant or site.' },
    409: { description: 'The site is not awaiting DNS.' },
  },
  handler: async ({ params: { tenantId, siteId }, services }) => ({
    status: 200,
    body: await services.tenantSites.verifyNow(tenantId.toLowerCase(), siteId),
  }),
});
