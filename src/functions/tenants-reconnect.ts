import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { createdInvitationSchema, reconnectSchema } from '../lib/invitations/invitation-schema.js';
import { knownTenant } from '../lib/tenants/tenant-access.js';
import { servicesOf } from '../lib/tenants/tenant-record.js';

coreEndpoint({
  name: 'tenants-reconnect',
  method: 'POST',
  route: 'tenants/{tenantId}/reconnect',
  summary:
    "Invite the tenant's admin to reconnect it: sign in again or enter new credentials (tenant.reconnected follows)",
  tag: 'Tenants',
  params: z.object({ tenantId: z.uuid() }),
  body: reconnectSchema,
  responses: {
    201: {
      description:
        'An invitation bound to this tenant (purpose reconnect), with the only copy of its link. Completing it replaces the stored credentials; signed in to another tenant, it is refused before anything changes.',
      schema: createdInvitationSchema,
    },
    404: { description: 'No such tenant (or it was offboarded: invite it again instead).' },
  },
  handler: async ({ params, body, services }) => {
    const tenantId = params.tenantId.toLowerCase();
    const stored = await knownTenant(services.registry, tenantId);
    const first = servicesOf(stored.entity)[0];
    const current = first ? await services.tenantSecrets.get(tenantId, first.id) : undefined;
    const credential = current?.certificate ? ('certificate' as const) : ('secret' as const);
    return {
      status: 201,
      body: await services.invitations.createReconnect({ tenantId, ...stored.entity, credential }, body),
    };
  },
});
