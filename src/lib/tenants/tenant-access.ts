import type { TenantCredential, TenantSecretStore } from '../secrets/tenant-secret-store.js';
import type { Stored } from '../storage/entity-table.js';
import { reconnectFix, TenantNotFound, TenantNotReady } from './tenant-errors.js';
import { isLeaving, servicesOf, type TenantRecord } from './tenant-record.js';
import type { TenantRegistry } from './tenant-registry.js';

/**
 * The one answer to "may the connector work in this tenant now, and with which credential?" for every feature
 * that acts in a tenant (services, sites, rotation, role checks).
 */
type Registry = Pick<TenantRegistry, 'get'>;

/** The tenant, known and not on its way out (offboarding or offboarded): else TenantNotFound. */
export async function knownTenant(registry: Registry, tenantId: string): Promise<Stored<TenantRecord>> {
  const tenant = await registry.get(tenantId);
  if (!tenant || isLeaving(tenant.entity.status)) throw new TenantNotFound(tenantId);
  return tenant;
}

/** A known tenant whose credentials work as far as the connector knows: else TenantNotReady, which says to reconnect. */
export async function usableTenant(registry: Registry, tenantId: string): Promise<Stored<TenantRecord>> {
  const tenant = await knownTenant(registry, tenantId);
  if (tenant.entity.status === 'credentials_invalid')
    throw new TenantNotReady(reconnectFirst.invalid, reconnectFix);
  return tenant;
}

/**
 * The credential the connector acts with in the tenant (its first service's, from Key Vault), or that of
 * `serviceId`: TenantNotReady when it is missing.
 */
export async function workingCredential(
  secrets: Pick<TenantSecretStore, 'get'>,
  tenantId: string,
  tenant: TenantRecord | undefined,
  serviceId = tenant ? servicesOf(tenant)[0]?.id : undefined,
): Promise<TenantCredential> {
  const credential = serviceId ? await secrets.get(tenantId, serviceId) : undefined;
  if (!credential) throw new TenantNotReady(reconnectFirst.missing, reconnectFix);
  return credential;
}

/** Why a tenant cannot be worked in, and what fixes it. */
export const reconnectFirst = {
  invalid: 'its credentials no longer work',
  missing: 'its credentials are missing from Key Vault',
};
