import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import {
  numberRequestSchema,
  policyRequestSchema,
  telephonyRequestViewSchema,
  writeBackSettingSchema,
} from '../lib/telephony/telephony-schema.js';

const tenantParams = z.object({ tenantId: z.uuid() });
const refusals = {
  404: { description: 'No such tenant (or it was offboarded).' },
  409: {
    description:
      'The request id is taken with other details; write-back is off for the tenant (`write_back_off`: turn it on with PUT …/write-back); this cloud’s Graph has no write-back (`write_back_unavailable`: global service only); or the tenant’s credentials do not work.',
  },
};
const accepted = {
  202: {
    description:
      'Taken: the connector works it to its end (follow it on GET …/telephony-requests/{requestId}); telephony.request_succeeded or telephony.request_failed follows.',
    schema: telephonyRequestViewSchema,
  },
  200: {
    description: 'The same request was taken already: where it is now.',
    schema: telephonyRequestViewSchema,
  },
};

coreEndpoint({
  name: 'tenants-number-assignments',
  method: 'POST',
  route: 'tenants/{tenantId}/number-assignments',
  summary:
    'Assign a Direct Routing number to a user, take it back, or change its emergency location (Graph’s number assignment, followed to its end)',
  tag: 'Write-back',
  params: tenantParams,
  body: numberRequestSchema,
  responses: { ...accepted, ...refusals },
  handler: async ({ params: { tenantId }, body, services }) => {
    const { outcome, view } = await services.telephonyRequests.submitNumber(tenantId.toLowerCase(), body);
    return { status: outcome === 'accepted' ? 202 : 200, body: view };
  },
});

coreEndpoint({
  name: 'tenants-policy-assignments',
  method: 'POST',
  route: 'tenants/{tenantId}/policy-assignments',
  summary:
    'Assign a Teams policy to a user (by id or by name), or take it back (the user goes back to Global)',
  tag: 'Write-back',
  params: tenantParams,
  body: policyRequestSchema,
  responses: { ...accepted, ...refusals },
  handler: async ({ params: { tenantId }, body, services }) => {
    const { outcome, view } = await services.telephonyRequests.submitPolicy(tenantId.toLowerCase(), body);
    return { status: outcome === 'accepted' ? 202 : 200, body: view };
  },
});

coreEndpoint({
  name: 'tenants-telephony-requests-list',
  method: 'GET',
  route: 'tenants/{tenantId}/telephony-requests',
  summary:
    'The tenant’s write-back requests, newest first (at most 100; `working=true`: only those under way)',
  tag: 'Write-back',
  params: tenantParams,
  query: z.object({
    working: z
      .enum(['true', 'false'])
      .optional()
      .transform((value) => value === 'true'),
  }),
  responses: {
    200: {
      description: 'The requests.',
      schema: z.object({ value: z.array(telephonyRequestViewSchema) }),
    },
    404: { description: 'No such tenant.' },
  },
  handler: async ({ params: { tenantId }, query, services }) => ({
    status: 200,
    body: {
      value: await services.telephonyRequests.list(tenantId.toLowerCase(), { working: query.working }),
    },
  }),
});

coreEndpoint({
  name: 'tenants-telephony-requests-get',
  method: 'GET',
  route: 'tenants/{tenantId}/telephony-requests/{requestId}',
  summary: 'One write-back request: its state, Microsoft’s outcome, why it failed',
  tag: 'Write-back',
  params: z.object({ tenantId: z.uuid(), requestId: z.string().min(1).max(64) }),
  responses: {
    200: { description: 'The request.', schema: telephonyRequestViewSchema },
    404: { description: 'No such tenant or request.' },
  },
  handler: async ({ params: { tenantId, requestId }, services }) => ({
    status: 200,
    body: await services.telephonyRequests.view(tenantId.toLowerCase(), requestId),
  }),
});

coreEndpoint({
  name: 'tenants-write-back',
  method: 'PUT',
  route: 'tenants/{tenantId}/write-back',
  summary:
    'Turn write-back on or off: on, the tenant’s validation asks for TeamsTelephoneNumber.ReadWrite.All and TeamsPolicyUserAssign.ReadWrite.All',
  tag: 'Write-back',
  params: tenantParams,
  body: z.strictObject({ enabled: z.boolean() }),
  responses: {
    200: {
      description:
        'Done. On: `missingPermissions` lists what the customer’s admin must still grant, and `guidanceUrl` is the page that shows them how (requests fail with Microsoft’s refusal until then).',
      schema: writeBackSettingSchema,
    },
    404: { description: 'No such tenant.' },
    409: {
      description:
        'This cloud’s Graph has no write-back (`write_back_unavailable`), or the tenant’s credentials do not work.',
    },
  },
  handler: async ({ params: { tenantId }, body, services }) => ({
    status: 200,
    body: await services.telephonyRequests.setWriteBack(tenantId.toLowerCase(), body.enabled),
  }),
});
