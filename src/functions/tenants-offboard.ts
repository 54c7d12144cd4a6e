import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import {
  offboardingViewSchema,
  offboardRequestSchema,
  toOffboardingView,
} from '../lib/offboarding/offboarding-progress.js';
import { vaultRetentionDays } from '../lib/offboarding/tenant-offboarding.js';

const answerSchema = offboardingViewSchema.extend({
  customerPage: z
    .url()
    .describe(
      "A page for the customer's admin: what was removed and what is left to them (a new link each time, valid as long as an invitation)",
    ),
});

coreEndpoint({
  name: 'tenants-offboard',
  method: 'DELETE',
  route: 'tenants/{tenantId}',
  summary:
    "Offboard a tenant: the connector's credentials off its app, its Key Vault entries and data deleted, a tombstone kept (tenant.offboarded follows)",
  tag: 'Tenants',
  params: z.object({ tenantId: z.uuid() }),
  body: offboardRequestSchema,
  bodyRepeats: ['tenantId'],
  responses: {
    202: {
      description: 'Offboarding started, or under way; follow it on GET /tenants/{tenantId}.',
      schema: answerSchema,
    },
    200: {
      description: 'Offboarded already: what was removed and what is left.',
      schema: answerSchema,
    },
    404: { description: 'No such tenant.' },
    409: {
      description:
        'The tenant is still being onboarded (an admin signed in and its registration is being made, the first time or again after an offboarding): revoke its invitation, or offboard it once it is onboarded.',
    },
  },
  handler: async ({ params, body, services }) => {
    const tenantId = params.tenantId.toLowerCase();
    const { progress } = await services.tenantOffboarding.start(tenantId, {
      removeRegistration: body.removeRegistration,
    });
    // Nudged again each time: a message lost to a crash right after the start is sent anew.
    if (progress.state !== 'done') await services.tenantOffboarding.enqueue({ tenantId });
    return {
      status: progress.state === 'done' ? 200 : 202,
      body: {
        ...toOffboardingView(progress, vaultRetentionDays),
        customerPage: await services.tenantOffboarding.customerLink(tenantId),
      },
    };
  },
});
