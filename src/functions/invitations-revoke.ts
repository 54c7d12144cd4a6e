import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { invitationViewSchema } from '../lib/invitations/invitation-schema.js';

coreEndpoint({
  name: 'invitations-revoke',
  method: 'DELETE',
  route: 'invitations/{id}',
  summary: 'Revoke an invitation (its link stops working; revoking twice is harmless)',
  tag: 'Invitations',
  params: z.object({ id: z.uuid() }),
  body: z.strictObject({
    id: z.uuid().describe('The invitation the path names, repeated so the signature binds what is revoked'),
  }),
  bodyRepeats: ['id'],
  responses: {
    200: { description: 'The revoked invitation.', schema: invitationViewSchema },
    404: { description: 'No such invitation.' },
    409: { description: 'The invitation was used already.' },
  },
  handler: async ({ params, services }) => ({
    status: 200,
    body: await services.invitations.revoke(params.id),
  }),
});
