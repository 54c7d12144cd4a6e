import { z } from 'zod';
import { addSiteSchema } from '../sites/site-schema.js';

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const domain = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export const licenceTypes = ['HostedEssentialsPlus', 'HostedPro'] as const;
export const methods = ['automatic', 'manual', 'either'] as const;
export const credentialKinds = ['secret', 'certificate'] as const;
const credentialDescription =
  'secret: a client secret per service; certificate: a Key Vault certificate per service (non-exportable key), for tenants whose policy forbids secrets. A certificate is made only when the admin signs in (method automatic). Either way, a tenant whose policy refuses new secrets gets certificates.';

/**
 * Text shown to people (page titles, the admin's consent screen): no control characters, which a page cannot
 * show, and no format characters (bidirectional controls, zero-width spaces and joiners, a byte order mark), which
 * can make text read other than it is or hide what it says; and no lone surrogate, which is no character at all.
 */
export const shownText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((value) => value.isWellFormed() && !/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(value), {
      error: 'must not contain control, invisible formatting or bidirectional-formatting characters',
    });

export const serviceSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/, {
    error: 'must be 1 to 40 letters, digits or dashes, starting with a letter or digit',
  }),
  name: shownText(100),
});

export const createInvitationSchema = z
  .object({
    customer: z.strictObject({
      reference: shownText(100),
      name: shownText(200),
    }),
    services: z
      .array(serviceSchema)
      .min(1, { error: 'at least one Direct Routing service is needed' })
      .max(20)
      .refine(
        (services) => new Set(services.map((service) => service.id.toLowerCase())).size === services.length,
        {
          error: 'service ids must be unique',
        },
      ),
    licenceType: z.enum(licenceTypes, {
      error:
        'must be HostedEssentialsPlus or HostedPro: the connector is offered only for Hosted Essentials Plus and Hosted Pro services',
    }),
    automaticDns: z.boolean().default(false),
    nearRealTime: z
      .boolean()
      .default(false)
      .describe(
        "Near-real-time replication from the start: the app also asks for Group.Read.All, and Graph's change notifications are turned on once the tenant is onboarded",
      ),
    writeBack: z
      .boolean()
      .default(false)
      .describe(
        'The core assigns Direct Routing numbers and Teams policies through the connector: the app also asks for TeamsTelephoneNumber.ReadWrite.All and TeamsPolicyUserAssign.ReadWrite.All (global service only)',
      ),
    site: addSiteSchema
      .optional()
      .describe('With automaticDns: the initial site, set up once the tenant is onboarded'),
    method: z.enum(methods).default('either'),
    credential: z.enum(credentialKinds).default('secret').describe(credentialDescription),
    expectedTenant: z
      .string()
      .trim()
      .refine((value) => guid.test(value) || domain.test(value), {
        error: 'must be a tenant GUID or a domain name',
      })
      .optional(),
  })
  .strict()
  .refine((invitation) => invitation.automaticDns === Boolean(invitation.site), {
    path: ['site'],
    error:
      'automaticDns: true needs the initial site ({siteId, label, usageLocation}), and a site needs automaticDns',
  })
  .refine((invitation) => invitation.credential !== 'certificate' || invitation.method === 'automatic', {
    path: ['method'],
    error:
      'credential: certificate needs method: automatic (the connector makes the certificate when the admin signs in)',
  });

export type CreateInvitation = z.infer<typeof createInvitationSchema>;

export const invitationStatuses = ['pending', 'expired', 'revoked', 'completed'] as const;
export type InvitationStatus = (typeof invitationStatuses)[number];

export const reconnectSchema = z
  .object({
    method: z
      .enum(methods)
      .default('either')
      .describe('automatic: the admin signs in again; manual: the admin enters a new client secret (or app)'),
  })
  .strict();
export type Reconnect = z.infer<typeof reconnectSchema>;

export const invitationViewSchema = z.object({
  id: z.string(),
  purpose: z
    .enum(['onboard', 'reconnect'])
    .describe('reconnect: bound to an onboarded tenant, whose stored credentials it replaces'),
  status: z.enum(invitationStatuses),
  customer: z.object({ reference: z.string(), name: z.string() }),
  services: z.array(serviceSchema),
  licenceType: z.enum(licenceTypes),
  automaticDns: z.boolean(),
  nearRealTime: z.boolean(),
  writeBack: z.boolean(),
  site: addSiteSchema.optional(),
  method: z.enum(methods),
  credential: z.enum(credentialKinds).describe(credentialDescription),
  expectedTenant: z.string().optional(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  completedAt: z.iso.datetime().optional(),
  revokedAt: z.iso.datetime().optional(),
  tenantId: z.string().optional(),
});
export type InvitationView = z.infer<typeof invitationViewSchema>;

export const createdInvitationSchema = invitationViewSchema.extend({
  url: z
    .url()
    .describe(
      'The link for the customer admin. It holds the only copy of the token: store it, or revoke and invite again.',
    ),
});
export type CreatedInvitation = z.infer<typeof createdInvitationSchema>;
