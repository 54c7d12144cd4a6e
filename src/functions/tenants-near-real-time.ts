import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { nearRealTimeViewSchema } from '../lib/near-real-time/near-real-time-view.js';

coreEndpoint({
  name: 'tenants-near-real-time',
  method: 'PUT',
  route: 'tenants/{tenantId}/near-real-time',
  summary:
    "Turn near-real-time replication on or off: Graph's change notifications for the tenant's users and groups start its delta run within a minute or two",
  tag: 'Replication',
  params: z.object({ tenantId: z.uuid() }),
  body: z.strictObject({ enabled: z.boolean() }),
  responses: {
    200: {
      description: 'Its state now (on: both subscriptions made, the handshake answered).',
      schema: nearRealTimeViewSchema,
    },
    404: { description: 'No such tenant.' },
    409: {
      description:
        'The tenant’s credentials do not work (reconnect it), or Graph refused a subscription for a missing permission (`missingPermissions`: User.Read.All, Group.Read.All). Nothing was turned on.',
      problemMembers: z.object({ missingPermissions: z.array(z.string()).optional() }),
    },
  },
  handler: async ({ params, body, services }) => {
    const tenantId = params.tenantId.toLowerCase();
    await services.registry.view(tenantId);
    const view = body.enabled
      ? await services.tenantSubscriptions.enable(tenantId)
      : await services.tenantSubscriptions.disable(tenantId);
    return { status: 200, body: view };
  },
});
