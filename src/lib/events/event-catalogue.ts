import { z } from 'zod';
import { dnsRecordSchema } from '../sites/site-schema.js';
import { teamsOutcome } from '../telephony/telephony-schema.js';

const tenantId = z.string().describe('The customer tenant (Entra tenant GUID).');
const verdict = z.enum(['ready', 'action_required', 'blocked']);
/** What a write-back request was about (telephony.* events). */
const telephonySubject = {
  tenantId,
  requestId: z.string().describe('The core’s id of the request'),
  kind: z.enum(['number', 'policy']),
  action: z.enum(['assign', 'unassign', 'update']),
  telephoneNumber: z.string().optional(),
  userId: z.string().optional(),
  policyType: z.string().optional(),
  policyId: z.string().optional(),
};

/**
 * Every event the connector sends to the platform core, with its payload (`data`). This is the contract: the
 * OpenAPI document publishes it under `webhooks`.
 */
export const eventCatalogue = {
  'invitation.completed': z.object({ invitationId: z.string(), tenantId }),
  'tenant.onboarded': z.object({
    tenantId,
    invitationId: z.string(),
    method: z.enum(['automatic', 'manual']),
    clientId: z.string(),
  }),
  'tenant.validation_changed': z.object({ tenantId, verdict, previousVerdict: verdict.optional() }),
  'tenant.reconnected': z
    .object({
      tenantId,
      invitationId: z.string(),
      method: z.enum(['automatic', 'manual']),
      clientId: z.string(),
      previousStatus: z.string(),
    })
    .describe('A reconnect replaced the tenant’s stored credentials; replication goes on with them.'),
  'tenant.credentials_invalid': z.object({ tenantId, serviceId: z.string().optional(), reason: z.string() }),
  'tenant.service_added': z.object({
    tenantId,
    serviceId: z.string(),
    name: z.string(),
    licenceType: z.string(),
    secretExpiresAt: z.iso.datetime(),
  }),
  'tenant.service_removed': z.object({
    tenantId,
    serviceId: z.string(),
    passwordRemoved: z.boolean(),
    leftToCustomer: z.string().optional(),
  }),
  'credentials.expiring': z
    .object({
      tenantId,
      serviceId: z.string(),
      clientId: z.string(),
      expiresAt: z.iso.datetime(),
      daysLeft: z.number().int().describe('Whole days left: the warning is sent at 30, 14, 7 and 1'),
      action: z.string().describe('What the customer’s admin must do, in words to pass on'),
    })
    .describe(
      'A secret only the customer’s admin can renew ends soon: sent once at each of 30, 14, 7 and 1 days before (not for secrets the connector rotates itself).',
    ),
  'credentials.rotated': z.object({
    tenantId,
    serviceId: z.string(),
    expiresAt: z.iso.datetime(),
    oldSecretRemoved: z
      .boolean()
      .optional()
      .describe(
        'false: the connector could not tell the old password apart (or another service uses it too); the customer’s admin may remove it',
      ),
  }),
  'credentials.rotation_failed': z
    .object({ tenantId, serviceId: z.string(), reason: z.string() })
    .describe('A rotation gave up: its new secret was removed and the old one is still in use.'),
  'replication.completed': z.object({
    tenantId,
    runId: z.string(),
    counts: z.record(z.string(), z.number().int()),
    cursor: z
      .string()
      .describe(
        "The change feed's newest position once the run ended (also when it changed nothing); empty while the feed holds no change",
      ),
    held: z
      .record(z.string(), z.number().int())
      .optional()
      .describe('Removals the run held back (by object kind): more than REPLICATION_DELETE_THRESHOLD allows'),
  }),
  'replication.held': z
    .object({
      tenantId,
      runId: z.string(),
      held: z.record(z.string(), z.number().int()).describe('Removals held back, by object kind'),
      threshold: z.string(),
    })
    .describe(
      'A run found more removals than the threshold allows and stored none of them: release the run (POST …/replication-runs/{runId}/release) to store them. Sent once when a hold begins.',
    ),
  'replication.failed': z.object({ tenantId, runId: z.string(), reason: z.string() }),
  'site.dns_record_required': z
    .object({
      tenantId,
      siteId: z.string(),
      domain: z.string(),
      records: z.array(dnsRecordSchema),
    })
    .describe(
      'Publish these records (the TXT that proves the sub-domain, the A record to the SBC), then POST …/sites/{siteId}/verify.',
    ),
  'site.activated': z
    .object({ tenantId, siteId: z.string(), domain: z.string() })
    .describe('Teams takes the sub-domain now: voice routing may use it.'),
  'site.failed': z
    .object({ tenantId, siteId: z.string(), domain: z.string(), reason: z.string() })
    .describe(
      'The site stopped at a step; the reason says what to fix, then the same POST /sites request resumes it.',
    ),
  'telephony.request_succeeded': z
    .object({
      ...telephonySubject,
      ...teamsOutcome,
      replicaUpdated: z
        .boolean()
        .describe(
          'true: a replication run read the tenant after the change, so the change feed shows it; false: it could not yet (the next run will)',
        ),
    })
    .describe('A write-back request took effect in the tenant, as Microsoft reports it.'),
  'telephony.request_failed': z
    .object({
      ...telephonySubject,
      reason: z.string().describe('Why, in words to show a person'),
      statusDetail: z.string().optional().describe('Microsoft’s own words for the number, when it gave them'),
    })
    .describe(
      'A write-back request did not take effect; send a new request (a new requestId) once the reason is fixed.',
    ),
  'tenant.offboarded': z.object({
    tenantId,
    removed: z.array(z.string()).describe('What the connector removed (from the app registration)'),
    leftToCustomer: z
      .array(z.string())
      .describe(
        "What the customer's admin still has to remove: role assignments, the app if kept, sites' domains",
      ),
    vaultRetentionDays: z
      .number()
      .int()
      .describe(
        "Days Key Vault keeps the tenant's deleted secrets and certificates recoverable (purge protection)",
      ),
  }),
} as const;

export type EventType = keyof typeof eventCatalogue;
export type EventData<T extends EventType> = z.infer<(typeof eventCatalogue)[T]>;

/** An event as the domain raises it. */
export type DomainEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];

/** The Standard Webhooks payload the core receives; the `webhook-id` header carries the event id. */
export const eventEnvelopeSchema = (data: z.ZodType) =>
  z.object({ type: z.string(), timestamp: z.iso.datetime(), data });
