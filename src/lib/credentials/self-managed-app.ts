import { type GraphClient, GraphError } from '../graph/graph-client.js';
import type { AppToken, AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem, credentialProblemText } from '../identity/credential-problem.js';
import type { TenantCredential, TenantSecretStore } from '../secrets/tenant-secret-store.js';
import { ServiceNeedsCustomer } from '../services/service-errors.js';
import { workingCredential } from '../tenants/tenant-access.js';
import { reconnectFix, TenantNotReady } from '../tenants/tenant-errors.js';
import { mayChangeItself, selfManagement } from './self-ownership.js';

export interface OwnApp {
  id: string;
  passwordCredentials: {
    keyId: string;
    displayName?: string | null;
    hint?: string | null;
    endDateTime?: string;
  }[];
  /** Its certificates; `customKeyIdentifier` is the SHA-1 thumbprint. */
  keyCredentials?: {
    keyId: string;
    displayName?: string | null;
    customKeyIdentifier?: string | null;
    endDateTime?: string;
  }[];
}

/** A tenant's registration reached with its own token, able to change its own passwords. */
export interface SelfManagedApp {
  credential: TenantCredential;
  token: AppToken;
  app: OwnApp;
}

/** A tenant's registration as its own token sees it: `app` when the token may read it, `canChange` its passwords. */
export interface OwnAppView {
  credential: TenantCredential;
  token: AppToken;
  app?: OwnApp;
  canChange: boolean;
}

export interface SelfManagedAppDeps {
  secrets: TenantSecretStore;
  tokens: AppTokenProvider;
  graph: GraphClient;
}

/**
 * The tenant's app registration as its own token (with the secret of `serviceId`) sees it. Reading it needs
 * Application.Read.All (or a ReadWrite permission; OwnedBy sees it only while the app owns itself): without one,
 * `app` is undefined. TenantNotReady when the secret is missing or does not work.
 */
export async function ownAppView(
  deps: SelfManagedAppDeps,
  tenantId: string,
  serviceId: string,
): Promise<OwnAppView> {
  const credential = await workingCredential(deps.secrets, tenantId, undefined, serviceId);
  let token: AppToken;
  try {
    token = await deps.tokens.token(credential);
  } catch (error) {
    if (!(error instanceof CredentialProblem)) throw error;
    throw new TenantNotReady(credentialProblemText[error.code], reconnectFix);
  }
  let app: OwnApp | undefined;
  try {
    const found = await deps.graph.get<{ value: OwnApp[] }>(
      token.accessToken,
      `/applications?$filter=appId eq '${credential.clientId}'&$select=id,passwordCredentials,keyCredentials`,
    );
    app = found.value[0];
  } catch (error) {
    if (!(error instanceof GraphError && error.status === 403)) throw error;
  }
  if (!app) return { credential, token, canChange: false };
  return { credential, token, app, canChange: await mayChangeItself(deps.graph, token, app.id) };
}

/**
 * The tenant's app registration, when it may change its own passwords. ServiceNeedsCustomer when it may not (no
 * permission, or it does not own itself); TenantNotReady when the secret is missing or does not work.
 */
export async function selfManagedApp(
  deps: SelfManagedAppDeps,
  tenantId: string,
  serviceId: string,
): Promise<SelfManagedApp> {
  const view = await ownAppView(deps, tenantId, serviceId);
  if (!selfManagement.some((permission) => view.token.roles.includes(permission)))
    throw new ServiceNeedsCustomer(
      `it does not hold ${selfManagement[0]}, so a new secret must come from the customer's admin.`,
    );
  if (!view.app || !view.canChange)
    throw new ServiceNeedsCustomer('the app registration does not own itself, so it may not change itself.');
  return { credential: view.credential, token: view.token, app: view.app };
}
