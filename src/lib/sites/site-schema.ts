import { z } from 'zod';
import { siteStates } from './site-progress.js';

/** One DNS label (RFC 1035): a letter first, letters, digits and inner hyphens, at most 63 characters. */
export const dnsLabelSchema = z
  .string()
  .regex(/^[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, {
    error:
      'must be one DNS label: a letter first, then letters, digits or hyphens (not last), at most 63 characters',
  })
  .transform((label) => label.toLowerCase());

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
/** Codes Unicode's region data names that are no country: unknown, groupings, the EU, the UN. */
const notCountries = new Set(['ZZ', 'QO', 'EU', 'EZ', 'UN']);
/** An ISO 3166-1 alpha-2 country, as the runtime's Unicode region data knows them (no private-use code like XX). */
const isCountry = (code: string) => !notCountries.has(code) && regionNames.of(code) !== undefined;

export const addSiteSchema = z.strictObject({
  siteId: z.string().regex(/^(?=.*[A-Za-z0-9])[A-Za-z0-9-]{1,40}$/, {
    error: 'must be 1 to 40 letters, digits or dashes, not dashes alone',
  }),
  label: dnsLabelSchema,
  usageLocation: z
    .string()
    .regex(/^[A-Z]{2}$/, {
      error: 'must be a two-letter country code (ISO 3166-1 alpha-2, upper case), e.g. GB',
    })
    .refine(isCountry, { error: 'is not a country code (ISO 3166-1 alpha-2), e.g. GB' })
    .describe('Where the activation user is, for its licence (ISO 3166-1 alpha-2)'),
});
export type AddSite = z.infer<typeof addSiteSchema>;

export const dnsRecordSchema = z.object({
  type: z.enum(['TXT', 'A']),
  name: z.string(),
  value: z.string(),
  ttl: z.number().int(),
  purpose: z
    .enum(['verification', 'sbc'])
    .describe('verification: proves the sub-domain to Microsoft; sbc: points the sub-domain at the SBC'),
});
export type DnsRecord = z.infer<typeof dnsRecordSchema>;

export const siteViewSchema = z.object({
  tenantId: z.string(),
  siteId: z.string(),
  domain: z.string().describe('The site’s sub-domain of the operator’s SBC base domain'),
  usageLocation: z.string(),
  state: z
    .enum(siteStates)
    .describe(
      'requested → domain_added → awaiting_dns → verified → user_created → activating → activated; or failed',
    ),
  dnsRecords: z.array(dnsRecordSchema).optional().describe('What the core publishes (awaiting_dns onwards)'),
  activationUser: z
    .object({ userPrincipalName: z.string(), id: z.string().optional(), skuId: z.string().optional() })
    .optional(),
  lastAttemptAt: z.iso.datetime().optional(),
  nextAttemptAt: z.iso.datetime().optional(),
  lastError: z.string().optional(),
  failure: z.string().optional().describe('Why the site failed; the same POST /sites request tries again'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  activatedAt: z.iso.datetime().optional(),
});
export type SiteView = z.infer<typeof siteViewSchema>;
