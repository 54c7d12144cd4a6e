import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { invitationStatuses, invitationViewSchema } from '../lib/invitations/invitation-schema.js';

coreEndpoint({
  name: 'invitations-list',
  method: 'GET',
  route: 'invitations',
  summary: 'List invitations, newest first',
  tag: 'Invitations',
  query: z
    .object({
      status: z.enum(invitationStatuses).optional(),
      top: z.coerce.number().int().min(1).max(200).default(50),
    })
    .strict(),
  responses: {
    200: { description: 'Invitations.', schema: z.object({ value: z.array(invitationViewSchema) }) },
  },
  handler: async ({ query, services }) => ({
    status: 200,
    body: { value: await services.invitations.list(query) },
  }),
});
