import type { AuditLog } from '../audit/audit-log.js';
import type { GraphClient } from '../graph/graph-client.js';
import type { AppCredential } from '../identity/app-credential.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem } from '../identity/credential-problem.js';
import { directoryRolesOf } from '../onboarding/probe-registration.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import { ServiceNotFound } from '../services/service-errors.js';
import type { SiteRoleCheck } from '../sites/site-roles.js';
import { reconnectFirst, workingCredential } from '../tenants/tenant-access.js';
import { reconnectFix, TenantNotFound, TenantNotReady } from '../tenants/tenant-errors.js';
import { servicesOf } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { validateRegistration } from '../validation/validate-registration.js';
import type { AccessTokenBudget } from './access-token-budget.js';
import { TeamsNotInCloud, TeamsRolesMissing, TeamsRolesUnknown } from './access-token-errors.js';

/** The resources the platform may ask tokens for. */
export const tokenResources = ['graph', 'teams'] as const;
export type TokenResource = (typeof tokenResources)[number];

/** The "Skype and Teams Tenant Admin API" that Teams PowerShell calls beside Graph (its app id, in every cloud). */
export const teamsAdminApi = '48ac35b8-9aa8-4d74-927d-1f4a14a0b239';

/** A token handed out is kept from MSAL's cache only while it has this long left. */
export const minimumTokenLifetimeMs = 10 * 60_000;

export interface IssuedToken {
  resource: TokenResource;
  /** The resource the token is for (its `aud`). */
  audience: string;
  accessToken: string;
  expiresAt: string;
  expiresInSeconds: number;
}

export interface AccessTokenIssuerDeps {
  registry: Pick<TenantRegistry, 'get'>;
  secrets: Pick<TenantSecretStore, 'get'>;
  tokens: AppTokenProvider;
  graph: GraphClient;
  budget: AccessTokenBudget;
  audit: AuditLog;
  guidance: Pick<SiteRoleCheck, 'guidanceUrl'>;
  /** Microsoft documents app-only Teams PowerShell in this cloud. */
  teamsPowerShellApps: boolean;
}

/**
 * Short-lived app-only tokens for the platform's Teams PowerShell and Graph calls, minted with one service's own
 * credential (its secret, or a Key Vault-signed assertion for a certificate), so the platform never holds a secret.
 * Checks first that the tenant may be worked in, that the service is the tenant's, that the tenant is within its
 * hourly budget, and for `teams` that the cloud has app-only Teams PowerShell and the app holds a Teams role now.
 * Every issuance is audited without the tokens; the tokens are never stored or logged.
 */
export class AccessTokenIssuer {
  constructor(private readonly deps: AccessTokenIssuerDeps) {}

  async issue(
    tenantId: string,
    serviceId: string,
    resources: readonly TokenResource[],
    requestId: string,
    now = new Date(),
  ): Promise<IssuedToken[]> {
    const tenant = await this.deps.registry.get(tenantId);
    if (!tenant) throw new TenantNotFound(tenantId);
    if (tenant.entity.status === 'offboarding' || tenant.entity.status === 'offboarded')
      throw new TenantNotReady(
        `it is ${tenant.entity.status === 'offboarded' ? 'offboarded' : 'being offboarded'}`,
        'A new invitation brings it back.',
      );
    if (tenant.entity.status === 'credentials_invalid')
      throw new TenantNotReady(reconnectFirst.invalid, reconnectFix);
    const service = servicesOf(tenant.entity).find((candidate) => candidate.id === serviceId);
    if (!service) throw new ServiceNotFound(serviceId);
    if (resources.includes('teams') && !this.deps.teamsPowerShellApps) throw new TeamsNotInCloud();
    await this.deps.budget.take(tenantId, now);
    const credential = await workingCredential(this.deps.secrets, tenantId, tenant.entity, service.id);
    let issued: IssuedToken[];
    try {
      if (resources.includes('teams')) await this.assertTeamsRoles(tenantId, credential);
      issued = [];
      for (const resource of resources) {
        const audience = resource === 'teams' ? teamsAdminApi : this.deps.tokens.graphResource;
        const token = await this.deps.tokens.handOut(
          credential,
          `${audience}/.default`,
          minimumTokenLifetimeMs,
          now.getTime(),
        );
        issued.push({
          resource,
          audience,
          accessToken: token.accessToken,
          expiresAt: token.expiresOn.toISOString(),
          expiresInSeconds: Math.max(0, Math.floor((token.expiresOn.getTime() - now.getTime()) / 1000)),
        });
      }
    } catch (error) {
      const refused = [TeamsRolesMissing, TeamsRolesUnknown, CredentialProblem].some(
        (kind) => error instanceof kind,
      );
      await this.audit(
        tenantId,
        serviceId,
        resources,
        requestId,
        refused ? 'refused' : 'failed',
        (error as Error).message,
      );
      if (error instanceof CredentialProblem) throw new TenantNotReady(reconnectFirst.invalid, reconnectFix);
      throw error;
    }
    const ends = issued.map((token) => `${token.resource} until ${token.expiresAt}`).join(', ');
    await this.audit(tenantId, serviceId, resources, requestId, 'succeeded', ends);
    await this.deps.budget.issued(tenantId, now);
    return issued;
  }

  /** Teams Administrator, or Teams Telephony Administrator with Skype for Business Administrator, held now. */
  private async assertTeamsRoles(tenantId: string, credential: AppCredential): Promise<void> {
    const token = await this.deps.tokens.token(credential);
    const appRoleIds = await directoryRolesOf(this.deps.graph, token);
    if (appRoleIds === null) throw new TeamsRolesUnknown();
    const report = validateRegistration({
      automaticDns: false,
      dnsWorkPending: false,
      appRoleIds,
      grantedPermissions: token.roles,
      changesItself: null,
    });
    const teams = report.requirements.find((requirement) => requirement.id === 'teams_powershell');
    if (teams?.satisfied) return;
    throw new TeamsRolesMissing(
      teams?.missingRoles ?? [],
      await this.deps.guidance.guidanceUrl(tenantId, 'teams_powershell'),
    );
  }

  private audit(
    tenantId: string,
    serviceId: string,
    resources: readonly TokenResource[],
    requestId: string,
    outcome: 'succeeded' | 'refused' | 'failed',
    detail: string,
  ): Promise<void> {
    return this.deps.audit.record({
      actor: 'core',
      action: 'access_tokens.issue',
      tenantId,
      outcome,
      detail: `service ${serviceId}; resources ${resources.join(', ')}; request ${requestId}; ${detail}`,
    });
  }
}
