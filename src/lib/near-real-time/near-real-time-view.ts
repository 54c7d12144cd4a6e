import { z } from 'zod';

/** A tenant's near-real-time replication, as the API shows it. */
export const nearRealTimeViewSchema = z.object({
  enabled: z.boolean().describe('on, or being turned on'),
  state: z
    .enum(['subscribing', 'on', 'unsubscribing', 'off'])
    .describe(
      'subscribing: its subscriptions being made; on: renewed before they end; unsubscribing: being deleted; off',
    ),
  offReason: z
    .enum(['turned_off', 'offboarding', 'credentials_invalid', 'permission_missing'])
    .optional()
    .describe(
      'why it is off (or going off): credentials_invalid comes back on by itself after a reconnect; permission_missing after the permission is granted and it is turned on again',
    ),
  lastError: z
    .string()
    .optional()
    .describe('what the last attempt met, while it is still being made or deleted'),
  nextCheckAt: z.iso
    .datetime()
    .optional()
    .describe('when it is looked at next (renewals due, the credentials still working): at most a day ahead'),
  subscriptions: z.array(
    z.object({ id: z.string(), resource: z.enum(['/users', '/groups']), expiresAt: z.iso.datetime() }),
  ),
  pendingSince: z.iso
    .datetime()
    .optional()
    .describe('Graph notified changes not yet answered by a run since then'),
  notifications: z.number().int(),
  runsStarted: z.number().int(),
});

export type NearRealTimeView = z.infer<typeof nearRealTimeViewSchema>;
