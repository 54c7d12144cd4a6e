import type { WorkflowRow } from '../workflows/workflow-runner.js';

/** One Graph subscription of a tenant's, as the tenant row keeps it. */
export interface TenantSubscription {
  id: string;
  resource: '/users' | '/groups';
  expiresAt: string;
}

/**
 * Where a tenant's near-real-time replication is: its subscriptions being made (one a step), on (renewed before
 * they end, checked daily), being deleted, or off.
 */
export type NearRealTimeState = 'subscribing' | 'on' | 'unsubscribing' | 'off';

/** Why it is off (or going off). */
export type NearRealTimeOffReason =
  | 'turned_off'
  | 'offboarding'
  | 'credentials_invalid'
  | 'permission_missing';

/**
 * A tenant's near-real-time replication (`near-real-time` in its partition), a workflow on the runner: its state and
 * Graph subscriptions. Owner: TenantSubscriptions.
 */
export interface NearRealTimeRow extends WorkflowRow {
  state: NearRealTimeState;
  /** JSON of TenantSubscription[]. */
  subscriptions: string;
  enabledAt: string;
  /** Graph asked for the subscriptions to be reauthorized (a lifecycle event): all are renewed at the next step. */
  reauthorize?: boolean;
  /** Changes made while notifications paused are still to be caught up by a run. */
  catchUp?: boolean;
  offReason?: NearRealTimeOffReason;
  /** JSON of string[]: the permissions Graph said were missing (with `permission_missing`). */
  missingPermissions?: string;
}

/**
 * What Graph notified for a tenant (`notified-changes` in its partition): the notifications not yet answered by a
 * run (`pendingSince` the first, `lastNotifiedAt` the newest), and counts. Owner: NotifiedChanges.
 */
export interface NotifiedChangesRow {
  pendingSince?: string;
  lastNotifiedAt?: string;
  notifications: number;
  runsStarted: number;
}

declare module '../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    nearRealTime: NearRealTimeRow;
    notifiedChanges: NotifiedChangesRow;
  }
}

/**
 * Which tenant each Graph subscription is (the `GraphSubscriptions` table, keyed by the subscription id), and the
 * SHA-256 of its client state: the state itself is only ever in Graph's hands and in the notifications.
 */
export interface GraphSubscriptionRecord {
  tenantId: string;
  resource: string;
  clientStateHash: string;
  expiresAt: string;
}
