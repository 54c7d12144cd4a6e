import { changesItself } from '../credentials/self-ownership.js';
import type { GraphClient } from '../graph/graph-client.js';
import { GraphError } from '../graph/graph-client.js';
import type { AppCredential } from '../identity/app-credential.js';
import type { AppToken, AppTokenProvider } from '../identity/app-token-provider.js';

export interface RegistrationFacts {
  servicePrincipalId: string;
  grantedPermissions: string[];
  /** Directory roles of the app's service principal; null when Graph would not show them. */
  appRoleIds: string[] | null;
  /** The app may change its own registration (rotation); null when Graph would not show it. */
  changesItself: boolean | null;
}

/**
 * Proves an app registration's credentials by getting an app-only token in its tenant, and reads what the app
 * holds: the permissions granted by admin consent (the token's `roles`), its directory roles (Graph) and whether
 * it may change itself. Throws a CredentialProblem when the credentials do not work.
 */
export async function probeRegistration(
  tokens: AppTokenProvider,
  graph: GraphClient,
  credential: AppCredential,
  options: { fresh?: boolean } = {},
): Promise<RegistrationFacts> {
  const token = await tokens.token(credential, options);
  const { servicePrincipalId } = token;
  const appRoleIds = await directoryRolesOf(graph, token);
  return {
    servicePrincipalId,
    grantedPermissions: token.roles,
    appRoleIds,
    changesItself: await changesItself(graph, token, credential.clientId),
  };
}

/** The directory roles (template ids) the token's service principal holds now; null when Graph would not show them. */
export async function directoryRolesOf(graph: GraphClient, token: AppToken): Promise<string[] | null> {
  try {
    const assignments = await graph.all<{ roleDefinitionId: string }>(
      token.accessToken,
      `/roleManagement/directory/roleAssignments?$filter=principalId eq '${token.servicePrincipalId}'`,
    );
    return [...new Set(assignments.map((assignment) => assignment.roleDefinitionId))];
  } catch (error) {
    if (!(error instanceof GraphError && error.status === 403)) throw error;
    return null;
  }
}
