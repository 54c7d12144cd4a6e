import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { invitationViewSchema } from '../lib/invitations/invitation-schema.js';

coreEndpoint({
  name: 'invitations-get',
  method: 'GET',
  route: 'invitations/{id}',
  summary: 'Read an invitation',
  tag: 'Invitations',
  params: z.object({ id: z.uuid() }),
  responses: {
    200: { description: 'The invitation.', schema: invitationViewSchema },
    404: { description: 'No such invitation.' },
  },
  handler: async ({ params, services }) => ({ status: 200, body: await services.invitations.get(params.id) }),
});
