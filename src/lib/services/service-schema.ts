import { z } from 'zod';
import { licenceTypes, shownText } from '../invitations/invitation-schema.js';

/**
 * A new service's id: the product's rule (3 to 15 characters, none of `\ / : * ? " < > |`, no dots or spaces)
 * narrowed to letters, digits and dashes, the characters a Key Vault secret name (`tenant-{tenantId}-{serviceId}`)
 * takes.
 */
export const newServiceIdSchema = z.string().regex(/^(?=.*[A-Za-z0-9])[A-Za-z0-9-]{3,15}$/, {
  error: 'must be 3 to 15 letters, digits or dashes, not dashes alone',
});

export const addServiceSchema = z.strictObject({
  id: newServiceIdSchema,
  name: shownText(100),
  licenceType: z.enum(licenceTypes, {
    error: 'must be HostedEssentialsPlus or HostedPro: the connector is offered only for those services',
  }),
});
export type AddService = z.infer<typeof addServiceSchema>;

export const serviceViewSchema = z.object({
  tenantId: z.string(),
  status: z
    .enum(['active', 'awaiting_customer'])
    .describe(
      'active: the secret is stored and proven; awaiting_customer: the customer’s admin must submit it',
    ),
  service: z.object({
    id: z.string(),
    name: z.string(),
    licenceType: z.enum(licenceTypes),
    secretExpiresAt: z.iso.datetime().optional(),
  }),
  secretLink: z
    .object({ url: z.string(), expiresAt: z.iso.datetime() })
    .optional()
    .describe(
      'For the customer’s admin: a page that asks for the new service’s secret (awaiting_customer only)',
    ),
});
export type ServiceView = z.infer<typeof serviceViewSchema>;

export const serviceRemovalSchema = z.object({
  tenantId: z.string(),
  serviceId: z.string(),
  passwordRemoved: z
    .boolean()
    .describe(
      "The service's password or certificate was removed from the app registration (false: the customer's admin must)",
    ),
  leftToCustomer: z.string().optional(),
  withdrawn: z
    .boolean()
    .optional()
    .describe(
      "The service was still waiting for the customer's secret: its request is withdrawn and its links stop working (it had no password to remove)",
    ),
});
export type ServiceRemovalView = z.infer<typeof serviceRemovalSchema>;
