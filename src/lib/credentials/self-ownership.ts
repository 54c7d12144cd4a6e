import { type GraphClient, GraphError } from '../graph/graph-client.js';
import type { AppToken } from '../identity/app-token-provider.js';

/** Either lets an app change its own passwords (OwnedBy only while it owns itself). */
export const selfManagement = ['Application.ReadWrite.OwnedBy', 'Application.ReadWrite.All'];

/**
 * Whether the app behind `token` may change its own registration: Application.ReadWrite.All changes any app,
 * Application.ReadWrite.OwnedBy only one its service principal owns. `appObjectId` is the registration's object id.
 */
export async function mayChangeItself(
  graph: GraphClient,
  token: AppToken,
  appObjectId: string,
): Promise<boolean> {
  if (token.roles.includes('Application.ReadWrite.All')) return true;
  if (!token.roles.includes('Application.ReadWrite.OwnedBy')) return false;
  // Without a read permission OwnedBy shows only the apps it owns, so an app that sees itself owns itself.
  const readsOthers = ['Application.Read.All', 'Directory.Read.All'].some((role) =>
    token.roles.includes(role),
  );
  if (!readsOthers) return true;
  try {
    const owners = await graph.get<{ value: { id: string }[] }>(
      token.accessToken,
      `/applications/${appObjectId}/owners?$select=id`,
    );
    return owners.value.some((owner) => owner.id === token.servicePrincipalId);
  } catch (error) {
    if (error instanceof GraphError && (error.status === 403 || error.status === 404)) return false;
    throw error;
  }
}

/**
 * Whether the registration `clientId` may change itself, as its own token finds it: false without a
 * self-management permission or when OwnedBy does not reach it; null when Graph refused to show it.
 */
export async function changesItself(
  graph: GraphClient,
  token: AppToken,
  clientId: string,
): Promise<boolean | null> {
  if (token.roles.includes('Application.ReadWrite.All')) return true;
  if (!token.roles.includes('Application.ReadWrite.OwnedBy')) return false;
  let found: { value: { id: string }[] };
  try {
    found = await graph.get(token.accessToken, `/applications?$filter=appId eq '${clientId}'&$select=id`);
  } catch (error) {
    if (error instanceof GraphError && error.status === 403) return null;
    throw error;
  }
  const app = found.value[0];
  return app ? mayChangeItself(graph, token, app.id) : false;
}
