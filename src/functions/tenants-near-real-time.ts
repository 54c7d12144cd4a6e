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
      description:
        'Done: on (both subscriptions made, the handshake answered), or off (its subscriptions deleted at Graph).',
      schema: nearRealTimeViewSchema,
    },
    202: {
      description:
        'Under way: Graph did not answer in time (`lastError`), or another request is at it; the connector goes on by itself (the tenant view shows the state).',
      schema: nearRealTimeViewSchema,
    },
    404: { description: 'No such tenant.' },
    409: {
      description:
        'The tenant’s credentials do not work (reconnect it), Graph refused a subscription for a missing permission (`missingPermissions`: User.Read.All, Group.Read.All; nothing was turned on), or it is being turned off right now (ask again in a moment).',
      problemMembers: z.object({ missingPermissions: z.array(z.string()).optional() }),
    },
  },
  handler: async ({ params, body, services }) => {
    const tenantId = params.tenantId.toLowerCase();
    await services.registry.view(tenantId);
    const view = body.enabled
      ? await services.tenantSubscriptions.enable(tenantId)
      : await services.tenantSubscriptions.disable(tenantId);
    return { status: view.state === 'on' || view.state === 'off' ? 200 : 202, body: view };
  },
});
