import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { listEvents, sentEventSchema } from '../lib/events/event-listing.js';

coreEndpoint({
  name: 'events-list',
  method: 'GET',
  route: 'events',
  summary: 'Events sent (or to be sent) to the core, newest first',
  tag: 'Events',
  query: z
    .object({
      tenantId: z.string().min(1).max(100).optional(),
      status: z.enum(['pending', 'delivered', 'failed']).optional(),
      top: z.coerce.number().int().min(1).max(200).default(50),
    })
    .strict(),
  responses: { 200: { description: 'Events.', schema: z.object({ value: z.array(sentEventSchema) }) } },
  handler: async ({ query, services }) => ({
    status: 200,
    body: { value: await listEvents(services.outbox.table, query) },
  }),
});
