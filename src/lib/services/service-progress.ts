/**
 * How far adding one service got, in the tenant's partition (`service|{serviceId}`), so a repeated
 * request resumes where a crash stopped it instead of doing a step twice. Owner: TenantServices.
 * - `adding`: accepted; a password named for the service may exist on the app without its secret stored;
 * - `awaiting_customer`: the connector cannot add the password itself; the customer's admin was given a link to
 *   submit the service's secret, until `linkExpiresAt`;
 * - `stored`: the password `keyId` exists and its secret is in Key Vault, not yet proven;
 * - `active`: proven and recorded on the tenant (with tenant.service_added); removed with the service.
 */
export interface ServiceProgress {
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
