import type { GraphClient } from '../../graph/graph-client.js';
import type { AppTokenProvider } from '../../identity/app-token-provider.js';
import { CredentialProblem } from '../../identity/credential-problem.js';
import { isTenantGuid } from '../../identity/resolve-tenant.js';
import type { TenantSecretStore } from '../../secrets/tenant-secret-store.js';
import type { TenantView } from '../../tenants/tenant-record.js';
import { sharedSecretGroups } from '../../validation/shared-secrets.js';
import type { ValidationReport } from '../../validation/validate-registration.js';
import type { InvitationAccess, OpenInvitation } from '../invitation-access.js';
import { OnboardingRefused } from '../onboarding-errors.js';
import type { OnboardingRecord } from '../onboarding-record.js';
import { probeRegistration } from '../probe-registration.js';
import type { TenantAdmission } from '../tenant-admission.js';

/** A client secret lasts this long when the admin gave no date (Microsoft recommends under 12 months). */
export const defaultSecretLifetimeDays = 180;

export interface ManualCredentials {
  tenantId: string;
  clientId: string;
  /** The first service's secret. */
  clientSecret: string;
  /** Each further service's own secret by service id; one left out (or empty) uses the first service's. */
  serviceSecrets?: Record<string, string>;
  ip?: string;
}

/** The manual form's field for a further service's secret (the first service's is `clientSecret`). */
export const serviceSecretField = (serviceId: string) => `clientSecret-${serviceId}`;

export interface ManualDeps {
  access: InvitationAccess;
  admission: TenantAdmission;
  record: OnboardingRecord;
  tokens: AppTokenProvider;
  graph: GraphClient;
  secrets: TenantSecretStore;
}

/**
 * Manual registration: the admin's own app registration. Nothing is stored until its credentials work; then the
 * secret goes to Key Vault (one per service), the tenant is registered with its validation and events, and the
 * invitation is completed. Every refusal is audited and stores nothing.
 */
export class ManualOnboarding {
  constructor(private readonly deps: ManualDeps) {}

  async register(
    token: string,
    input: ManualCredentials,
    now = new Date(),
  ): Promise<{ tenant: TenantView; report: ValidationReport }> {
    const invitation = await this.deps.access.open(token, now);
    const tenantId = input.tenantId.trim().toLowerCase();
    try {
      return await this.connect(invitation, { ...input, tenantId }, now);
    } catch (error) {
      if (error instanceof OnboardingRefused || error instanceof CredentialProblem)
        await this.deps.record.refused(
          invitation,
          { method: 'manual', error, tenantId: isTenantGuid(tenantId) ? tenantId : undefined, ip: input.ip },
          now,
        );
      throw error;
    }
  }

  private async connect(invitation: OpenInvitation, input: ManualCredentials, now: Date) {
    if (invitation.record.method === 'automatic') {
      throw new OnboardingRefused(
        'manual_not_offered',
        'Your service provider asked for automatic registration: use “Sign in with Microsoft”.',
      );
    }
    const { tenantId } = input;
    const clientId = input.clientId.trim().toLowerCase();
    const secret = input.clientSecret.trim();
    checkForm(tenantId, clientId, secret);
    await this.deps.admission.admit(invitation, tenantId);
    const facts = await probeRegistration(
      this.deps.tokens,
      this.deps.graph,
      { tenantId, clientId, secret },
      { fresh: true },
    );
    const secrets = await this.serviceSecrets(
      invitation,
      tenantId,
      clientId,
      secret,
      input.serviceSecrets ?? {},
    );
    const report = this.deps.record.validate(invitation, facts, sharedSecretGroups(secrets));
    const expiresOn = new Date(now.getTime() + defaultSecretLifetimeDays * 86_400_000);
    for (const service of secrets) {
      await this.deps.secrets.put({
        tenantId,
        serviceId: service.serviceId,
        clientId,
        secret: service.secret,
        expiresOn,
      });
    }
    const tenant = await this.deps.record.finish(
      invitation,
      {
        tenantId,
        clientId,
        servicePrincipalId: facts.servicePrincipalId,
        method: 'manual',
        report,
        ip: input.ip,
      },
      now,
    );
    return { tenant, report };
  }

  /**
   * Each service's secret: the first service's (already proven), and each further one given, proven with a fresh
   * token of its own; a further service without one shares the first's (the report then says so).
   */
  private async serviceSecrets(
    invitation: OpenInvitation,
    tenantId: string,
    clientId: string,
    first: string,
    given: Record<string, string>,
  ): Promise<{ serviceId: string; secret: string }[]> {
    const secrets: { serviceId: string; secret: string }[] = [];
    for (const [index, service] of invitation.services.entries()) {
      const own = index === 0 ? first : (given[service.id] ?? '').trim();
      if (index > 0 && own && own !== first) {
        try {
          await this.deps.tokens.token({ tenantId, clientId, secret: own }, { fresh: true });
        } catch (error) {
          if (!(error instanceof CredentialProblem)) throw error;
          throw new OnboardingRefused(
            'service_secret_invalid',
            `The client secret for ${service.name} does not work: ${error.message}`,
          );
        }
      }
      secrets.push({ serviceId: service.id, secret: own || first });
    }
    return secrets;
  }
}

function checkForm(tenantId: string, clientId: string, secret: string): void {
  if (!isTenantGuid(tenantId))
    throw new OnboardingRefused(
      'invalid_tenant_id',
      'The Directory (tenant) ID must be a GUID, like 00000000-0000-0000-0000-000000000000.',
    );
  if (!isTenantGuid(clientId))
    throw new OnboardingRefused('invalid_client_id', 'The Application (client) ID must be a GUID.');
  if (secret.length < 8) throw new OnboardingRefused('secret_not_pasted', 'Paste the client secret’s Value.');
}
