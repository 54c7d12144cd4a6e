import type { SimResponse } from '../http-kit.js';
import type { TenantState } from '../tenant/tenant-state.js';
import type { GraphConfig } from './graph-config.js';
import { badRequest, graphError } from './graph-error.js';

/** Whether a change made at `since` (Date.now()) is still unknown to some of Entra's replicas. */
export const stillReplicating = (since: number | undefined, config: GraphConfig) =>
  since !== undefined && Date.now() - since < config.directoryReplicationMs;

/**
 * A user, domain or app made moments ago, or a domain verified moments ago, as the replica that answers may not
 * know it yet: reads and references find nothing for `directoryReplicationMs` (Microsoft documents the delay,
 * not its length). Keys: `user:{id}`, `domain:{id}`, `verified:{id}`.
 */
export function replicating(tenant: TenantState, key: string, config: GraphConfig): boolean {
  return stillReplicating(tenant.madeAt.get(key), config);
}

/**
 * Right after a service principal is created, Entra's replicas may not know it: writes that refer to it fail for
 * seconds. Microsoft's own tooling retries them (azure-powershell#6493: 15–30 s; msgraph-bicep-types#193: "Not a
 * valid reference update" from appRoleAssignedTo). `answer` picks the shape each write fails with.
 */
export function notYetReplicated(
  tenant: TenantState,
  principalId: string,
  config: GraphConfig,
  answer: 'not_found' | 'invalid_reference',
): SimResponse | undefined {
  const createdAt = tenant.servicePrincipals.get(principalId)?.createdAt;
  if (createdAt === undefined || Date.now() - createdAt >= config.directoryReplicationMs) return undefined;
  return answer === 'not_found'
    ? graphError(
        404,
        'Request_ResourceNotFound',
        `Resource '${principalId}' does not exist or one of its queried reference-property objects are not present.`,
      )
    : badRequest('Not a valid reference update.');
}
