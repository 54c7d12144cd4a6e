import { z } from 'zod';

/**
 * A tenant's offboarding, in its partition (`offboarding`), kept afterwards as the record of what was removed.
 * Owner: TenantOffboarding.
 * - `started`: the tenant is `offboarding` (no new replication run; a running one stops at its next slice);
 * - `microsoft_cleared`: the connector's passwords and certificates are off the app (and the app deleted when
 *   asked and allowed), or what it could not do is listed for the customer;
 * - `vault_cleared`: every service's Key Vault secret and certificate is deleted (soft);
 * - `data_deleted`: the tenant's replica rows and change feed are gone;
 * - `done`: the tenant row is a tombstone (`offboarded`) and tenant.offboarded was sent.
 */
export interface OffboardingProgress {
  state: 'started' | 'microsoft_cleared' | 'vault_cleared' | 'data_deleted' | 'done';
  removeRegistration: boolean;
  requestedAt: string;
  /** JSON string[]: what the connector removed. */
  removed: string;
  /** JSON string[]: what the customer's admin still has to remove. */
  leftToCustomer: string;
  /** Replica and change-feed rows deleted so far. */
  rowsDeleted: number;
  updatedAt: string;
  finishedAt?: string;
  /** The workflow runner's: attempts that met a fault that passes, when the next is due, what the last met. */
  attempts?: number;
  nextAttemptAt?: string;
  lastError?: string;
}

export const offboardingSteps = [
  'started',
  'microsoft_cleared',
  'vault_cleared',
  'data_deleted',
  'done',
] as const;

export const offboardRequestSchema = z.strictObject({
  tenantId: z.uuid().describe('The tenant the path names, repeated so the signature binds what is removed'),
  removeRegistration: z
    .boolean()
    .default(false)
    .describe(
      'Also delete the app registration, as the very last Microsoft call, when the connector may (Entra keeps it restorable for 30 days)',
    ),
});

/** What the customer's offboarding page shows: the tenant, its app, and the offboarding. */
export interface OffboardingPage {
  tenantId: string;
  clientId: string;
  customer: string;
  offboarding: OffboardingView;
}

export const offboardingViewSchema = z.object({
  state: z.enum(offboardingSteps),
  removeRegistration: z.boolean(),
  requestedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().optional(),
  removed: z.array(z.string()).describe('What the connector removed from the app registration'),
  leftToCustomer: z.array(z.string()).describe("What the customer's admin still has to remove"),
  rowsDeleted: z.number().int().describe('Replica, change-feed and work rows deleted so far'),
  vaultRetentionDays: z
    .number()
    .int()
    .describe("Days Key Vault keeps the tenant's deleted secrets and certificates recoverable"),
});
export type OffboardingView = z.infer<typeof offboardingViewSchema>;

export function toOffboardingView(
  progress: OffboardingProgress,
  vaultRetentionDays: number,
): OffboardingView {
  return {
    state: progress.state,
    removeRegistration: progress.removeRegistration,
    requestedAt: progress.requestedAt,
    ...(progress.finishedAt ? { finishedAt: progress.finishedAt } : {}),
    removed: JSON.parse(progress.removed) as string[],
    leftToCustomer: JSON.parse(progress.leftToCustomer) as string[],
    rowsDeleted: progress.rowsDeleted,
    vaultRetentionDays,
  };
}

/** This row kind in a tenant's partition (see tenants/tenant-partition.ts). */
declare module '../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    offboarding: OffboardingProgress;
  }
}
