import type { WorkflowRow } from '../workflows/workflow-runner.js';

/**
 * How far adding one service got, in the tenant's partition (`service|{serviceId}`): a workflow on the runner
 * (the request takes it as far as it goes; the `service-additions` queue takes it on when it must wait), so a
 * repeated request or a crash resumes at the step it stopped at instead of doing a step twice. Owner: TenantServices.
 * - `adding`: accepted; a password named for the service may exist on the app without its secret stored;
 * - `awaiting_customer`: the connector cannot add the password itself; the customer's admin was given a link to
 *   submit the service's secret, until `linkExpiresAt`;
 * - `stored`: the password `keyId` (or the customer's secret) is in Key Vault, not yet proven;
 * - `active`: proven and recorded on the tenant (with tenant.service_added); removed with the service.
 */
export interface ServiceProgress extends WorkflowRow {
  serviceId: string;
  name: string;
  licenceType: string;
  state: 'adding' | 'awaiting_customer' | 'stored' | 'active';
  linkExpiresAt?: string;
  keyId?: string;
  secretExpiresAt?: string;
  requestedAt: string;
  updatedAt: string;
}

/** A service whose adding has steps left for the connector (not waiting for the customer, not done). */
export const serviceWorking = (progress: ServiceProgress) =>
  progress.state === 'adding' || progress.state === 'stored';

/** One service's adding to take on: a message on the `service-additions` queue. */
export interface ServiceJob {
  tenantId: string;
  serviceId: string;
}

/** This row kind in a tenant's partition (see tenants/tenant-partition.ts). */
declare module '../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    service: ServiceProgress;
  }
}
