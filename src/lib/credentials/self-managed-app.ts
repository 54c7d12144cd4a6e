import { type GraphClient, GraphError } from '../graph/graph-client.js';
import type { AppToken, AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem, credentialProblemText } from '../identity/credential-problem.js';
import type { TenantCredential, TenantSecretStore } from '../secrets/tenant-secret-store.js';
import { ServiceNeedsCustomer } from '../services/service-errors.js';
import { TenantNotReady } from '../tenants/tenant-errors.js';

/** Either lets an app change its own passwords (OwnedBy only while it owns itself). */
const selfManagement = ['Application.ReadWrite.OwnedBy', 'Application.ReadWrite.All'];

export interface OwnApp {
  id: string;
  passwordCredentials: {
    keyId: string;
    displayName?: string | null;
    hint?: string | null;
    endDateTime?: string;
  }[];
}

/** A tenant's registration reached with its own token, able to change its own passwords. */
export interface SelfManagedApp {
  credential: TenantCredential;
  token: AppToken;
  app: OwnApp;
}

export interface SelfManagedAppDeps {
  secrets: TenantSecretStore;
  tokens: AppTokenProvider;
  graph: GraphClient;
}

/**
 * The tenant's app registration as its own token (with the secret of `serviceId`) sees it, when it may change its
 * own passwords. ServiceNeedsCustomer when it may not (no permission, or it does not own itself); TenantNotReady
 * when the secret is missing or does not work.
 */
export async function selfManagedApp(
  deps: SelfManagedAppDeps,
  tenantId: string,
  serviceId: string,
): Promise<SelfManagedApp> {
  const credential = await deps.secrets.get(tenantId, serviceId);
  if (!credential) throw new TenantNotReady('its credentials are missing from Key Vault; reconnect it first');
  let token: AppToken;
  try {
    token = await deps.tokens.token(tenantId, credential.clientId, credential.secret);
  } catch (error) {
    if (!(error instanceof CredentialProblem)) throw error;
    throw new TenantNotReady(credentialProblemText[error.code]);
  }
  if (!selfManagement.some((permission) => token.roles.includes(permission)))
    throw new ServiceNeedsCustomer(
      `it does not hold ${selfManagement[0]}, so a new secret must come from the customer's admin.`,
    );
  try {
    const found = await deps.graph.get<{ value: OwnApp[] }>(
      token.accessToken,
      `/applications?$filter=appId eq '${credential.clientId}'&$select=id,passwordCredentials`,
    );
    const app = found.value[0];
    if (app) return { credential, token, app };
  } catch (error) {
    if (!(error instanceof GraphError && error.status === 403)) throw error;
  }
  throw new ServiceNeedsCustomer('the app registration does not own itself, so it may not change itself.');
}
