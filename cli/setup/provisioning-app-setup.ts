import type { SecretClient } from '@azure/keyvault-secrets';
import {
  addPasswordWithinPolicy,
  removePassword,
  secretLifetimesDays,
} from '../../src/lib/graph/app-passwords.js';
import { type GraphClient, GraphError } from '../../src/lib/graph/graph-client.js';
import type { AppTokenProvider } from '../../src/lib/identity/app-token-provider.js';
import { secretStartsWorking } from '../../src/lib/identity/secret-propagation.js';
import {
  delegatedScopes,
  provisioningSecretName,
} from '../../src/lib/onboarding/automatic/provisioning-sign-in.js';
import { signInRedirectUri } from '../../src/lib/onboarding/onboarding-urls.js';
import { CliError } from '../connector-client.js';

const graphAppId = '00000003-0000-0000-c000-000000000000';
/** The app's alternate key in the operator's tenant: found again on every run, never made twice. */
export const provisioningAppUniqueName = 'live-platform-provisioning';
export const provisioningAppName = 'Live Platform Provisioning';
/** The password credential's name on the app, so the operator can tell it from others. */
export const provisioningSecretDisplayName = 'M365 Tenant Connector (setup)';
/** A stored secret with less left than this is replaced. */
const renewBeforeDays = 30;
const dayMs = 86_400_000;

/** The scopes the connector's sign-in asks customer admins for, in the order it asks. */
export const provisioningScopes = ['openid', 'profile', ...delegatedScopes];

interface GraphApp {
  id: string;
  appId: string;
  displayName: string;
  signInAudience: string;
  web?: { redirectUris?: string[] };
  requiredResourceAccess?: { resourceAppId: string; resourceAccess: { id: string; type: string }[] }[];
  groupMembershipClaims?: string | null;
  passwordCredentials?: { keyId: string; displayName?: string; endDateTime: string; hint?: string }[];
}

export interface ProvisioningAppReport {
  clientId: string;
  created: boolean;
  /** The properties this run changed (none when the app was as it should be). */
  changed: string[];
  /** Other redirect URIs the app allows, left as they were. */
  otherRedirectUris: string[];
  secret: 'added' | 'kept' | 'replaced';
  secretExpiresOn: string;
  /** A password this run superseded: it still works, for instances that hold it, until it is removed. */
  supersededKeyId?: string;
}

export interface ProvisioningAppSetupDeps {
  graph: GraphClient;
  secrets: SecretClient;
  tokens: AppTokenProvider;
  sleep?: (ms: number) => Promise<void>;
}

const isNotFound = (error: unknown) =>
  (error instanceof GraphError && error.status === 404) ||
  (error as { statusCode?: number }).statusCode === 404;

/**
 * Creates or updates the operator's multi-tenant provisioning app, changing only what differs: multi-tenant
 * sign-in, the connector's sign-in redirect URI, the delegated Graph permissions the sign-in asks for, directory
 * roles in the ID token (`groupMembershipClaims`), its service principal at home, and a client secret that goes
 * straight to Key Vault (added when none is stored, the stored one is not the app's any more or ends within
 * 30 days, or on request).
 */
export class ProvisioningAppSetup {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: ProvisioningAppSetupDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async ensure(input: {
    token: string;
    tenantId: string;
    publicBaseUrl: string;
    rotateSecret?: boolean;
    now?: Date;
  }): Promise<ProvisioningAppReport> {
    const { token } = input;
    const now = input.now ?? new Date();
    const scopeIds = await this.graphScopeIds(token);
    const redirectUri = signInRedirectUri(input.publicBaseUrl);
    const path = `/applications(uniqueName='${provisioningAppUniqueName}')`;
    const existing = await this.deps.graph.get<GraphApp>(token, path).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
    const changes = desiredChanges(existing, redirectUri, scopeIds);
    const changed = Object.keys(changes);
    if (!existing || changed.length > 0) {
      await this.deps.graph.request(
        token,
        'PATCH',
        path,
        // An upsert's body must name the app whether it creates or updates (Microsoft's upsert page).
        { displayName: existing?.displayName ?? provisioningAppName, ...changes },
        { headers: { prefer: 'create-if-missing' } },
      );
    }
    const app =
      existing && changed.length === 0 ? existing : await this.deps.graph.get<GraphApp>(token, path);
    await this.ensureServicePrincipal(token, app.appId);
    const secret = await this.ensureSecret(token, input.tenantId, app, Boolean(input.rotateSecret), now);
    return {
      clientId: app.appId,
      created: !existing,
      changed: existing ? changed : [],
      otherRedirectUris: (app.web?.redirectUris ?? []).filter((uri) => uri !== redirectUri),
      ...secret,
    };
  }

  /** The ids of the delegated permissions, as this cloud's Graph publishes them (never assumed). */
  private async graphScopeIds(token: string): Promise<string[]> {
    const graph = (
      await this.deps.graph.get<{ value: { oauth2PermissionScopes?: { id: string; value: string }[] }[] }>(
        token,
        `/servicePrincipals?$filter=appId eq '${graphAppId}'&$select=id,oauth2PermissionScopes`,
      )
    ).value[0];
    return provisioningScopes.map((value) => {
      const scope = graph?.oauth2PermissionScopes?.find((candidate) => candidate.value === value);
      if (!scope) throw new CliError(`Microsoft Graph in this tenant has no delegated permission ${value}.`);
      return scope.id;
    });
  }

  /** The service principal in the operator's tenant (the portal makes one; Graph leaves it to the caller). */
  private async ensureServicePrincipal(token: string, appId: string): Promise<void> {
    try {
      await this.deps.graph.post(token, '/servicePrincipals', { appId }, { idempotent: true });
    } catch (error) {
      const exists =
        error instanceof GraphError &&
        (error.status === 409 ||
          (error.status === 400 && /already exist|conflicting object/i.test(error.message)));
      if (!exists) throw error;
    }
  }

  private async ensureSecret(
    token: string,
    tenantId: string,
    app: GraphApp,
    rotate: boolean,
    now: Date,
  ): Promise<Pick<ProvisioningAppReport, 'secret' | 'secretExpiresOn' | 'supersededKeyId'>> {
    const stored = await this.deps.secrets.getSecret(provisioningSecretName).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
    const storedKeyId = stored?.properties.tags?.keyId;
    const credential = app.passwordCredentials?.find((candidate) => candidate.keyId === storedKeyId);
    const endsSoon =
      credential && new Date(credential.endDateTime).getTime() - now.getTime() < renewBeforeDays * dayMs;
    if (stored && credential && !endsSoon && !rotate && stored.properties.tags?.clientId === app.appId)
      return { secret: 'kept', secretExpiresOn: credential.endDateTime };
    const added = await this.addPassword(token, app.id, now);
    try {
      await this.deps.secrets.setSecret(provisioningSecretName, added.secretText, {
        expiresOn: new Date(added.endDateTime),
        contentType: 'client secret',
        tags: { clientId: app.appId, keyId: added.keyId },
      });
    } catch (error) {
      // Not stored, so of no use: leave no password behind that nobody holds.
      await removePassword(this.deps.graph, token, app.id, added.keyId).catch(() => undefined);
      throw error;
    }
    await this.waitUntilWorking(tenantId, app.appId, added.secretText);
    return {
      secret: stored ? 'replaced' : 'added',
      secretExpiresOn: added.endDateTime,
      ...(credential ? { supersededKeyId: credential.keyId } : {}),
    };
  }

  private async addPassword(token: string, appObjectId: string, now: Date) {
    const added = await addPasswordWithinPolicy(
      this.deps.graph,
      token,
      appObjectId,
      provisioningSecretDisplayName,
      now,
    );
    if (added) return added;
    throw new CliError(
      `Your tenant's app management policy refuses client secrets even for ${secretLifetimesDays.at(-1)} days. Allow them for this app, then run the command again.`,
    );
  }

  /** A new secret takes seconds (sometimes minutes) to work everywhere: prove it before reporting success. */
  private async waitUntilWorking(tenantId: string, clientId: string, secret: string): Promise<void> {
    if (!(await secretStartsWorking(this.deps.tokens, { tenantId, clientId, secret }, this.sleep)))
      throw new CliError(
        'The new secret is in Key Vault but Microsoft does not accept it yet. Wait a few minutes, then run the command again (it keeps a working secret).',
      );
  }
}

/** What to send so the app is as the connector needs it: only the properties that differ from `existing`. */
function desiredChanges(
  existing: GraphApp | undefined,
  redirectUri: string,
  scopeIds: string[],
): Partial<GraphApp> {
  const changes: Partial<GraphApp> = {};
  if (existing?.signInAudience !== 'AzureADMultipleOrgs') changes.signInAudience = 'AzureADMultipleOrgs';
  const redirectUris = existing?.web?.redirectUris ?? [];
  if (!redirectUris.includes(redirectUri)) changes.web = { redirectUris: [...redirectUris, redirectUri] };
  const access = existing?.requiredResourceAccess ?? [];
  const graphAccess = access.find((entry) => entry.resourceAppId === graphAppId)?.resourceAccess ?? [];
  const missing = scopeIds.filter(
    (id) => !graphAccess.some((entry) => entry.id === id && entry.type === 'Scope'),
  );
  if (missing.length > 0) {
    changes.requiredResourceAccess = [
      ...access.filter((entry) => entry.resourceAppId !== graphAppId),
      {
        resourceAppId: graphAppId,
        resourceAccess: [...graphAccess, ...missing.map((id) => ({ id, type: 'Scope' }))],
      },
    ];
  }
  const claims = existing?.groupMembershipClaims ?? 'None';
  // wids come only with DirectoryRole or All; a setting that asks for groups keeps them by becoming All.
  if (claims !== 'DirectoryRole' && claims !== 'All')
    changes.groupMembershipClaims = claims === 'None' ? 'DirectoryRole' : 'All';
  return changes;
}
