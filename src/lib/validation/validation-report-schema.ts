import { z } from 'zod';
import { requirementIds } from './operations.js';

/** The validation report as the core receives it (the shape of validateRegistration's result). */
export const validationReportSchema = z.object({
  verdict: z.enum(['ready', 'action_required', 'blocked']),
  requirements: z.array(
    z.object({
      id: z.enum(requirementIds),
      description: z.string(),
      satisfied: z.boolean(),
      satisfiedBy: z.string().optional(),
      missingRoles: z.array(z.string()),
      missingPermissions: z.array(z.string()),
      operations: z.array(
        z.object({
          id: z.string(),
          description: z.string(),
          satisfied: z.boolean(),
          satisfiedBy: z.string().optional(),
          accepts: z.array(z.string()),
        }),
      ),
      action: z.string().optional(),
    }),
  ),
  roles: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      purpose: z.string(),
      stage: z.enum(['onboarding', 'onboarding_and_day_two', 'onboarding_and_new_site']),
      holder: z.enum(['app', 'signing_admin']),
      held: z.boolean().nullable(),
      neededNow: z.boolean(),
      removableNow: z.boolean(),
      neededFor: z.array(z.string()),
      note: z.string().optional(),
    }),
  ),
  permissions: z.object({
    granted: z.array(z.string()),
    missing: z.array(z.string()),
    notNeeded: z.array(z.string()),
    neededFor: z.array(z.object({ permission: z.string(), operations: z.array(z.string()) })),
  }),
  warnings: z.array(z.object({ code: z.string(), message: z.string() })),
});

export const tenantValidationSchema = z.object({
  tenantId: z.string(),
  status: z.string(),
  validatedAt: z.iso.datetime().optional(),
  report: validationReportSchema.optional(),
  problem: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type TenantValidationView = z.infer<typeof tenantValidationSchema>;
