import pMap from 'p-map';
import { z } from 'zod';
import { ConnectorError } from '../errors/connector-error.js';
import { isLeaving, type TenantService, tenantStatuses } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { type ServiceCredentialView, serviceCredentialSchema } from './credential-view.js';

export const listedCredentialSchema = serviceCredentialSchema.extend({
  tenantId: z.string(),
  customer: z.object({ reference: z.string(), name: z.string() }),
  tenantStatus: z.enum(tenantStatuses),
  unavailable: z
    .string()
    .optional()
    .describe('Why the secret could not be looked at now (its expiry and renewal are then left out)'),
});
export type ListedCredential = z.infer<typeof listedCredentialSchema>;

/** Tenants whose secrets are looked at together at most. */
const concurrency = 4;

/**
 * Every connected tenant's service secrets, soonest to end first (those that could not be looked at last). Each
 * tenant is looked at as its own view does (Key Vault, and its app's token for who renews it).
 */
export async function listCredentials(
  registry: TenantRegistry,
  credentialsOf: (tenantId: string, services: readonly TenantService[]) => Promise<ServiceCredentialView[]>,
): Promise<ListedCredential[]> {
  const tenants = (await registry.list({ top: Number.MAX_SAFE_INTEGER })).filter(
    (tenant) => !isLeaving(tenant.status),
  );
  const listed = await pMap(
    tenants,
    async (tenant): Promise<ListedCredential[]> => {
      const about = { tenantId: tenant.tenantId, customer: tenant.customer, tenantStatus: tenant.status };
      try {
        const credentials = await credentialsOf(tenant.tenantId, tenant.services);
        return credentials.map((credential) => ({ ...about, ...credential }));
      } catch (error) {
        if (!(error instanceof ConnectorError)) throw error;
        return tenant.services.map((service) => ({
          ...about,
          serviceId: service.id,
          renewal: 'customer' as const,
          unavailable: error.message,
        }));
      }
    },
    { concurrency },
  );
  return listed.flat().sort(soonestFirst);
}

function soonestFirst(a: ListedCredential, b: ListedCredential): number {
  if (a.expiresAt && b.expiresAt) return a.expiresAt.localeCompare(b.expiresAt);
  return a.expiresAt ? -1 : b.expiresAt ? 1 : 0;
}
