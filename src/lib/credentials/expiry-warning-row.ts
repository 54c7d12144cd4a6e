/**
 * The expiry warnings sent for a service's secret, in the tenant's partition (`expiry-warning|{serviceId}`).
 * Owner: ExpiryWarnings. A secret is known by its expiry: a new secret starts its warnings afresh.
 */
export interface ExpiryWarningRow {
  serviceId: string;
  /** The expiry of the secret the warnings were about. */
  expiresAt: string;
  /** The last warning sent: 30, 14, 7 or 1 days before `expiresAt`. */
  warnedDays: number;
  warnedAt: string;
}

/** This row kind in a tenant's partition (see tenants/tenant-partition.ts). */
declare module '../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    expiryWarning: ExpiryWarningRow;
  }
}
