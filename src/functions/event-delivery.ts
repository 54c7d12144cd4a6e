import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { deliveryStateSchema } from '../lib/events/delivery-state.js';

coreEndpoint({
  name: 'event-delivery-get',
  method: 'GET',
  route: 'event-delivery',
  summary: 'Whether events are being delivered to the core (a 410 Gone from the core turns delivery off)',
  tag: 'Events',
  responses: { 200: { description: 'The delivery state.', schema: deliveryStateSchema } },
  handler: async ({ services }) => ({ status: 200, body: await services.deliverySwitch.read() }),
});

coreEndpoint({
  name: 'event-delivery-set',
  method: 'PUT',
  route: 'event-delivery',
  summary: 'Turn event delivery back on (or off); pending events are then delivered in order',
  tag: 'Events',
  body: z.object({ enabled: z.boolean() }).strict(),
  responses: { 200: { description: 'The delivery state.', schema: deliveryStateSchema } },
  handler: async ({ body, services }) => ({
    status: 200,
    body: await services.deliverySwitch.set(body.enabled),
  }),
});
