import { coreEndpoint } from '../app-services.js';
import { fleetStatus, fleetStatusSchema } from '../lib/health/fleet-status.js';

coreEndpoint({
  name: 'fleet-status',
  method: 'GET',
  route: 'status',
  summary:
    "The fleet at a glance: tenants by status, today's runs, the slowest, workflows under way, event delivery",
  tag: 'Operations',
  responses: {
    200: {
      description:
        'Read from the connector’s tables alone (no tenant or Microsoft call); the workbook shows the same from the metrics.',
      schema: fleetStatusSchema,
    },
  },
  handler: async ({ services }) => ({
    status: 200,
    body: await fleetStatus({
      tenants: services.outbox.table,
      delivery: services.deliverySwitch,
      workflows: [
        services.credentialRotation.runner,
        services.tenantServices.runner,
        services.tenantSites.runner,
        services.tenantOffboarding.runner,
        services.tenantSubscriptions.runner,
        services.telephonyRequests.runner,
      ],
    }),
  }),
});
