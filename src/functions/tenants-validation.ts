import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { lastReport } from '../lib/tenants/tenant-record.js';
import { tenantValidationSchema } from '../lib/validation/validation-report-schema.js';

const params = z.object({ tenantId: z.uuid() });

coreEndpoint({
  name: 'tenants-validation-get',
  method: 'GET',
  route: 'tenants/{tenantId}/validation',
  summary: 'The last role and permission report of a tenant',
  tag: 'Validation',
  params,
  responses: {
    200: { description: 'The last report.', schema: tenantValidationSchema },
    404: { description: 'No such tenant.' },
  },
  handler: async ({ params: { tenantId }, services }) => {
    const view = await services.registry.view(tenantId.toLowerCase());
    const stored = await services.registry.get(view.tenantId);
    const report = stored && lastReport(stored.entity);
    return {
      status: 200,
      body: {
        tenantId: view.tenantId,
        status: view.status,
        ...(view.validatedAt ? { validatedAt: view.validatedAt } : {}),
        ...(report ? { report } : {}),
      },
    };
  },
});

coreEndpoint({
  name: 'tenants-validate',
  method: 'POST',
  route: 'tenants/{tenantId}/validate',
  summary: 'Validate a tenant now (a tenant.validation_changed event follows when the verdict changes)',
  tag: 'Validation',
  params,
  responses: {
    200: {
      description: 'The new report, or why the credentials do not work.',
      schema: tenantValidationSchema,
    },
    404: { description: 'No such tenant.' },
  },
  handler: async ({ params: { tenantId }, services }) => {
    const result = await services.tenantValidation.revalidate(tenantId.toLowerCase());
    const base = {
      tenantId: result.tenant.tenantId,
      status: result.tenant.status,
      ...(result.tenant.validatedAt ? { validatedAt: result.tenant.validatedAt } : {}),
    };
    return {
      status: 200,
      body: result.ok
        ? { ...base, report: result.report }
        : { ...base, problem: { code: result.problem.code, message: result.problem.message } },
    };
  },
});
