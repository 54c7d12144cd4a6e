import type { GraphClient } from '../graph/graph-client.js';
import { proofIdentity } from '../identity/app-credential.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem } from '../identity/credential-problem.js';
import { probeRegistration } from '../onboarding/probe-registration.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import { sharedSecretGroups } from '../validation/shared-secrets.js';
import { type ValidationReport, validateRegistration } from '../validation/validate-registration.js';
import { knownTenant } from './tenant-access.js';
import type { TenantView } from './tenant-record.js';
import type { TenantRegistry } from './tenant-registry.js';

export type Revalidation =
  | { ok: true; tenant: TenantView; report: ValidationReport }
  | { ok: false; tenant: TenantView; problem: CredentialProblem };

/** Validating a registered tenant again, on demand ("check again", the core's validate). */
export class TenantValidation {
  constructor(
    private readonly deps: {
      registry: TenantRegistry;
      secrets: TenantSecretStore;
      tokens: AppTokenProvider;
      graph: GraphClient;
      /** The cloud's Graph has the Teams telephony endpoints. */
      teamsApis: boolean;
      /** Whether near-real-time replication is on for a tenant (its permissions are then checked too). */
      nearRealTimeOn?: (tenantId: string) => Promise<boolean>;
    },
  ) {}

  /**
   * Validates with the stored credentials: a fresh token (its `roles`), the app's directory roles, the report,
   * and the registry updated (an event when the verdict changes). Credentials that no longer work mark the tenant
   * and tell the core once.
   */
  /** The services that share one secret, from Key Vault (a service without a stored secret is left out). */
  private async sharedSecrets(tenantId: string, services: { id: string }[], first: string) {
    const secrets = [{ serviceId: services[0]?.id ?? '', secret: first }];
    for (const service of services.slice(1)) {
      const stored = await this.deps.secrets.get(tenantId, service.id);
      if (stored) secrets.push({ serviceId: service.id, secret: proofIdentity(stored) });
    }
    return sharedSecretGroups(secrets);
  }

  async revalidate(tenantId: string): Promise<Revalidation> {
    const { registry } = this.deps;
    // An offboarded tenant (or one on its way out) has no credentials left to validate: it is not found.
    const stored = await knownTenant(registry, tenantId);
    const services = JSON.parse(stored.entity.services) as { id: string }[];
    const serviceId = services[0]?.id ?? '';
    const credential = await this.deps.secrets.get(tenantId, serviceId);
    try {
      if (!credential) throw new CredentialProblem('invalid_secret');
      const facts = await probeRegistration(this.deps.tokens, this.deps.graph, credential, { fresh: true });
      const report = validateRegistration({
        automaticDns: stored.entity.automaticDns,
        dnsWorkPending: stored.entity.dnsWorkPending,
        sharedSecrets: await this.sharedSecrets(tenantId, services, proofIdentity(credential)),
        appRoleIds: facts.appRoleIds,
        grantedPermissions: facts.grantedPermissions,
        changesItself: facts.changesItself,
        teamsApis: this.deps.teamsApis,
        nearRealTime: (await this.deps.nearRealTimeOn?.(tenantId)) ?? false,
        writeBack: stored.entity.writeBack ?? false,
      });
      return { ok: true, tenant: await registry.recordValidation(tenantId, report), report };
    } catch (error) {
      if (!(error instanceof CredentialProblem)) throw error;
      await registry.markCredentialsInvalid(tenantId, error.code, serviceId);
      return { ok: false, tenant: await registry.view(tenantId), problem: error };
    }
  }
}
