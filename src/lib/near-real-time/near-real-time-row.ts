/** One Graph subscription of a tenant's, as the tenant row keeps it. */
export interface TenantSubscription {
  id: string;
  resource: '/users' | '/groups';
  expiresAt: string;
}

/**
 * A tenant's near-real-time replication (`near-real-time` in its partition), present while it is on: its Graph
 * subscriptions. Owner: TenantSubscriptions.
 */
export interface NearRealTimeRow {
  /** JSON of TenantSubscription[]. */
  subscriptions: string;
  enabledAt: string;
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
