import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { serviceCredentialSchema } from '../lib/credentials/credential-view.js';
import { RotationInProgress } from '../lib/credentials/rotation-errors.js';
import { servicesOf } from '../lib/tenants/tenant-record.js';

coreEndpoint({
  name: 'credentials-rotate',
  method: 'POST',
  route: 'tenants/{tenantId}/services/{serviceId}/rotate',
  summary:
    "Rotate a service's secret now, without downtime (credentials.rotated or credentials.rotation_failed follows)",
  tag: 'Credentials',
  params: z.object({ tenantId: z.uuid(), serviceId: z.string().min(1).max(40) }),
  responses: {
    202: {
      description: 'The rotation started; follow it on GET /tenants/{tenantId}.',
      schema: serviceCredentialSchema,
    },
    404: { description: 'No such tenant or service.' },
    409: {
      description:
        'A rotation of this secret is under way; the tenant’s credentials do not work (reconnect it); or only the customer’s admin can renew this secret.',
    },
  },
  handler: async ({ params, services }) => {
    const tenantId = params.tenantId.toLowerCase();
    const rotation = await services.credentialRotation
      .start(tenantId, params.serviceId, 'requested')
      .catch(async (error: unknown) => {
        // One under way is nudged, in case its message was lost (a crash right after it started).
        if (error instanceof RotationInProgress)
          await services.credentialRotation.runner.enqueue({ tenantId, serviceId: params.serviceId });
        throw error;
      });
    await services.credentialRotation.runner.enqueue({ tenantId, serviceId: rotation.serviceId });
    const tenant = await services.registry.get(tenantId);
    const views = tenant ? await services.serviceCredentials(tenantId, servicesOf(tenant.entity)) : [];
    return { status: 202, body: views.find((view) => view.serviceId === rotation.serviceId) };
  },
});
