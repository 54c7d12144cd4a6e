import { type GraphClient, GraphError } from '../../graph/graph-client.js';
import { OnboardingRefused } from '../onboarding-errors.js';
import type { SignedInAdmin } from './provisioning-sign-in.js';

/**
 * The directory roles (template ids) the signed-in admin holds now. The id_token carries them as `wids` only when
 * the provisioning app's manifest sets `groupMembershipClaims` to `DirectoryRole` or `All`; otherwise they are read
 * with the admin's own token: `GET /me/transitiveMemberOf/microsoft.graph.directoryRole` (delegated User.Read;
 * `ConsistencyLevel: eventual` and `$count=true`, as an OData cast needs),
 * which counts roles held through role-assignable groups too. Either way only active roles count: one that is
 * only eligible through Privileged Identity Management must be activated first.
 */
export async function signedInAdminRoles(graph: GraphClient, admin: SignedInAdmin): Promise<string[]> {
  if (admin.wids) return admin.wids;
  try {
    // An OData cast on a directory relationship is an advanced query: Microsoft requires both of these with it.
    const roles = await graph.all<{ roleTemplateId?: string }>(
      admin.accessToken,
      '/me/transitiveMemberOf/microsoft.graph.directoryRole?$count=true&$select=roleTemplateId',
      { headers: { ConsistencyLevel: 'eventual' } },
    );
    return roles.flatMap((role) => (role.roleTemplateId ? [role.roleTemplateId.toLowerCase()] : []));
  } catch (error) {
    if (!(error instanceof GraphError && error.status === 403)) throw error;
    throw new OnboardingRefused(
      'admin_roles_unreadable',
      'Microsoft did not let the connector read your directory roles, so nothing was created. Sign in again and accept the permissions asked for, or register the app yourself.',
    );
  }
}
