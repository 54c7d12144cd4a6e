import { z } from 'zod';
import { telephonyStates } from './telephony-request-row.js';

const requestId = z
  .string()
  .regex(/^(?=.*[A-Za-z0-9])[A-Za-z0-9._-]{1,64}$/, {
    error:
      'must be 1 to 64 letters, digits, dots, underscores or dashes: an id the core chooses for the request',
  })
  .describe(
    'The core’s id for the request: the same id with the same details is the same request (answered, not done again)',
  );
const userId = z.uuid().describe('The user’s Entra object id');
const telephoneNumber = z
  .string()
  .regex(/^\+?[0-9]{4,20}$/, {
    error: 'must be a telephone number: digits, optionally after a +, e.g. +442070000001',
  })
  .describe('As the tenant’s numberAssignments list it (E.164, e.g. +442070000001)');
const numberType = z
  .enum(['directRouting', 'callingPlan', 'operatorConnect'])
  .default('directRouting')
  .describe('Microsoft’s numberType');

export const numberRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({
    requestId,
    action: z.literal('assign').describe('Give the number to the user (Microsoft’s assignNumber)'),
    telephoneNumber,
    userId,
    numberType,
    assignmentCategory: z
      .enum(['primary', 'private', 'alternate'])
      .optional()
      .describe('Microsoft’s default: primary'),
    locationId: z.string().min(1).max(100).optional().describe('The emergency address’s id'),
  }),
  z.strictObject({
    requestId,
    action: z
      .literal('unassign')
      .describe('Take the number back from whoever holds it (Microsoft’s unassignNumber)'),
    telephoneNumber,
    numberType,
  }),
  z
    .strictObject({
      requestId,
      action: z
        .literal('update')
        .describe('Change the number’s emergency location, network site or reverse lookup'),
      telephoneNumber,
      locationId: z.string().max(100).optional().describe('"" clears it; absent keeps it'),
      networkSiteId: z.string().max(100).optional().describe('"" clears it; absent keeps it'),
      reverseNumberLookupOptions: z.array(z.enum(['skipInternalVoip'])).optional(),
    })
    .refine(
      (request) =>
        request.locationId !== undefined ||
        request.networkSiteId !== undefined ||
        request.reverseNumberLookupOptions !== undefined,
      { error: 'an update names at least one of locationId, networkSiteId, reverseNumberLookupOptions' },
    ),
]);
export type NumberRequest = z.infer<typeof numberRequestSchema>;

export const policyRequestSchema = z.discriminatedUnion('action', [
  z
    .strictObject({
      requestId,
      action: z.literal('assign'),
      userId,
      policyType: z
        .string()
        .regex(/^[A-Za-z]{3,80}$/, { error: 'must be a Teams policy type, e.g. OnlineVoiceRoutingPolicy' })
        .describe(
          'A Teams policy type, e.g. OnlineVoiceRoutingPolicy (Microsoft refuses types it does not take)',
        ),
      policyId: z.string().min(1).max(200).optional().describe('The policy’s id; or its name in policyName'),
      policyName: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe('The policy’s name, looked up with getPolicyId'),
    })
    .refine((request) => (request.policyId === undefined) !== (request.policyName === undefined), {
      error: 'name the policy by exactly one of policyId and policyName',
    }),
  z.strictObject({
    requestId,
    action: z.literal('unassign').describe('The user goes back to the tenant’s Global policy of the type'),
    userId,
    policyType: z.string().regex(/^[A-Za-z]{3,80}$/, { error: 'must be a Teams policy type' }),
  }),
]);
export type PolicyRequest = z.infer<typeof policyRequestSchema>;

/** What Teams reports of the user after a request (the view's outcome and telephony.request_succeeded). */
export const teamsOutcome = {
  enterpriseVoiceEnabled: z
    .boolean()
    .optional()
    .describe(
      'The user’s Enterprise Voice after the change, as Teams reports it (whether assignNumber turns it on is not documented)',
    ),
  effectivePolicyId: z.string().optional().describe('The user’s policy of the type, as Teams reports it now'),
  policyShown: z
    .boolean()
    .optional()
    .describe('false: Teams did not yet show the policy on the user after 10 minutes (it may still come)'),
};

export const telephonyRequestViewSchema = z.object({
  tenantId: z.string(),
  requestId: z.string(),
  kind: z.enum(['number', 'policy']),
  action: z.enum(['assign', 'unassign', 'update']),
  state: z
    .enum(telephonyStates)
    .describe(
      'queued → (resolving →) sending → (following →) confirming → refreshing → succeeded; or failed. following: Microsoft’s operation is under way; refreshing: the replica reads the tenant again so the change feed shows the outcome',
    ),
  telephoneNumber: z.string().optional(),
  userId: z.string().optional(),
  policyType: z.string().optional(),
  policyId: z.string().optional(),
  policyName: z.string().optional(),
  outcome: z
    .object({
      number: z
        .object({
          telephoneNumber: z.string(),
          assignmentTargetId: z.string().nullable(),
          assignmentStatus: z.string().optional(),
          activationState: z.string().optional(),
          locationId: z.string().nullable().optional(),
        })
        .optional(),
      ...teamsOutcome,
      replicaUpdated: z
        .boolean()
        .optional()
        .describe('A replication run read the tenant after the change: the change feed shows it'),
    })
    .optional(),
  statusDetail: z.string().optional().describe('Microsoft’s own words for a number that failed'),
  failure: z.string().optional().describe('Why the request failed, in words to show a person'),
  lastError: z.string().optional(),
  nextAttemptAt: z.iso.datetime().optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().optional(),
});
export type TelephonyRequestView = z.infer<typeof telephonyRequestViewSchema>;

export const writeBackSettingSchema = z.object({
  tenantId: z.string(),
  writeBack: z.boolean(),
  missingPermissions: z
    .array(z.string())
    .describe('What the customer’s admin must still grant for write-back'),
  guidanceUrl: z
    .string()
    .optional()
    .describe('A page for the customer’s admin that shows what to grant, and checks again'),
});
export type WriteBackSetting = z.infer<typeof writeBackSettingSchema>;
