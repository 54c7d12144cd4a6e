import { coreEndpoint } from '../app-services.js';
import { createdInvitationSchema, createInvitationSchema } from '../lib/invitations/invitation-schema.js';

coreEndpoint({
  name: 'invitations-create',
  method: 'POST',
  route: 'invitations',
  summary: 'Create an invitation for a customer tenant admin',
  tag: 'Invitations',
  body: createInvitationSchema,
  responses: {
    201: { description: 'The invitation, with the only copy of its link.', schema: createdInvitationSchema },
  },
  handler: async ({ body, services }) => ({ status: 201, body: await services.invitations.create(body) }),
});
