/** One Graph subscription of a tenant's, as the tenant row keeps it. */
export interface TenantSubscription {
  id: string;
  resource: '/users' | '/groups';
  expiresAt: string;
}

/**
 * A tenant's near-real-time replication (`near-real-time` in its partition). Owner: ChangeNotifications. Present
 * while it is on: its Graph subscriptions, and the notifications not yet answered by a run (`pendingSince` the
 * first, `lastNotifiedAt` the newest).
 */
export interface NearRealTimeRow {
  /** JSON of TenantSubscription[]. */
  subscriptions: string;
  enabledAt: string;
  pendingSince?: string;
  lastNotifiedAt?: string;
  notifications: number;
  runsStarted: number;
}

declare module '../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    nearRealTime: NearRealTimeRow;
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
