import type { GraphClient } from '../graph/graph-client.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem } from '../identity/credential-problem.js';
import { roleGuidanceUrl } from '../onboarding/onboarding-urls.js';
import { probeRegistration } from '../onboarding/probe-registration.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import type { CustomerLinks, RoleGuidanceLink, RolePurpose } from '../storage/customer-links.js';
import { reconnectFirst, workingCredential } from '../tenants/tenant-access.js';
import { reconnectFix, TenantNotReady } from '../tenants/tenant-errors.js';
import { isLeaving } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { validateRegistration } from '../validation/validate-registration.js';
import { FreshCheckBudget } from './fresh-check-budget.js';
import { RoleGuidanceUnavailable, SiteRolesMissing } from './site-errors.js';

export interface MissingForSites {
  roles: string[];
  permissions: string[];
}

export interface SiteRoleCheckDeps {
  registry: TenantRegistry;
  secrets: TenantSecretStore;
  tokens: AppTokenProvider;
  graph: GraphClient;
  links: CustomerLinks<RoleGuidanceLink>;
  publicBaseUrl: string;
  linkLifetimeDays: number;
  teamsApis: boolean;
}

/** The requirement of the validation report each purpose of a guidance page shows. */
const requirementOf = {
  sites: 'automatic_dns',
  teams_powershell: 'teams_powershell',
  write_back: 'write_back',
} as const;

/**
 * What a site's work needs of the app registration now (Domain Name Administrator and User Administrator, and
 * the Graph permissions of automatic DNS), or what the platform's Teams PowerShell needs (a Teams role), read
 * fresh from Entra as the validator reads it; and the page that shows the customer's admin what to assign.
 */
export class SiteRoleCheck {
  constructor(private readonly deps: SiteRoleCheckDeps) {}

  /** What is missing for sites (or `purpose`) now (nothing: both lists empty). */
  async missing(tenantId: string, purpose: RolePurpose = 'sites'): Promise<MissingForSites> {
    const tenant = await this.deps.registry.get(tenantId);
    const credential = await workingCredential(this.deps.secrets, tenantId, tenant?.entity);
    try {
      const facts = await probeRegistration(this.deps.tokens, this.deps.graph, credential, { fresh: true });
      const report = validateRegistration({
        automaticDns: true,
        dnsWorkPending: true,
        appRoleIds: facts.appRoleIds,
        grantedPermissions: facts.grantedPermissions,
        changesItself: facts.changesItself,
        teamsApis: this.deps.teamsApis,
        writeBack: purpose === 'write_back',
      });
      const needed = report.requirements.find((requirement) => requirement.id === requirementOf[purpose]);
      return { roles: needed?.missingRoles ?? [], permissions: needed?.missingPermissions ?? [] };
    } catch (error) {
      if (error instanceof CredentialProblem) throw new TenantNotReady(reconnectFirst.invalid, reconnectFix);
      throw error;
    }
  }

  /** SiteRolesMissing, with a new guidance link, when anything is missing. */
  async assertReady(tenantId: string, now = new Date()): Promise<void> {
    const missing = await this.missing(tenantId);
    if (missing.roles.length === 0 && missing.permissions.length === 0) return;
    throw new SiteRolesMissing(missing, await this.guidanceUrl(tenantId, 'sites', now));
  }

  /** A new link to the page that shows the customer's admin what `purpose` still lacks. */
  async guidanceUrl(tenantId: string, purpose: RolePurpose, now = new Date()): Promise<string> {
    const expiresAt = new Date(now.getTime() + this.deps.linkLifetimeDays * 86_400_000).toISOString();
    const token = await this.deps.links.issue({ tenantId, expiresAt, purpose });
    return roleGuidanceUrl(this.deps.publicBaseUrl, token);
  }

  /** Microsoft is asked afresh for the guidance page a few times at once, then once in a while (anyone may open it). */
  private readonly guidanceChecks = new FreshCheckBudget<MissingForSites>();

  /** What the guidance page shows: the tenant's app, and what it still lacks (checked now, or a minute ago at most). */
  async guidance(token: string, now = new Date()) {
    const link = await this.deps.links.find(token);
    if (!link) throw new RoleGuidanceUnavailable('unknown');
    if (Date.parse(link.expiresAt) <= now.getTime()) throw new RoleGuidanceUnavailable('expired');
    const tenant = await this.deps.registry.get(link.tenantId);
    if (!tenant || isLeaving(tenant.entity.status)) throw new RoleGuidanceUnavailable('unknown');
    const purpose: RolePurpose =
      link.purpose === 'teams_powershell' || link.purpose === 'write_back' ? link.purpose : 'sites';
    const missing = await this.guidanceChecks.answer(
      `${link.tenantId}|${purpose}`,
      () => this.missing(link.tenantId, purpose),
      now.getTime(),
    );
    if (!missing) throw new RoleGuidanceUnavailable('busy');
    return {
      tenantId: link.tenantId,
      clientId: tenant.entity.clientId,
      customer: (JSON.parse(tenant.entity.customer) as { name: string }).name,
      purpose,
      missing,
    };
  }
}
