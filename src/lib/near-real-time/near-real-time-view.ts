import { z } from 'zod';

/** A tenant's near-real-time replication, as the API shows it. */
export const nearRealTimeViewSchema = z.object({
  enabled: z.boolean(),
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
