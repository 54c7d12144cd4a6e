import type { AuditLog } from '../audit/audit-log.js';
import type { Settings } from '../config/settings.js';
import { errorCode } from '../errors/connector-error.js';
import type { GraphClient } from '../graph/graph-client.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { isTenantGuid, resolveTenantId } from '../identity/resolve-tenant.js';
import { InvitationUnavailable } from '../invitations/invitation-errors.js';
import {
  type InvitationRecord,
  type InvitationService,
  statusOf,
} from '../invitations/invitation-service.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import type { TenantView } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { type ValidationReport, validateRegistration } from '../validation/validate-registration.js';
import { OnboardingRefused } from './onboarding-errors.js';
import { probeRegistration, type RegistrationFacts } from './probe-registration.js';

export interface OpenInvitation {
  id: string;
  record: InvitationRecord;
  services: { id: string; name: string }[];
  customer: { reference: string; name: string };
}

export interface OnboardingDeps {
  settings: Pick<Settings, 'authorityHost'>;
  invitations: InvitationService;
  tokens: AppTokenProvider;
  graph: GraphClient;
  secrets: TenantSecretStore;
  registry: TenantRegistry;
  audit: AuditLog;
}

/** A client secret lasts this long when the admin gave no date (Microsoft recommends under 12 months). */
export const defaultSecretLifetimeDays = 180;

/** Onboarding by invitation: what both paths share, and the manual path. */
export class OnboardingService {
  constructor(private readonly deps: OnboardingDeps) {}

  /** The invitation a token opens, when it can be used now; InvitationUnavailable otherwise. */
  async openInvitation(token: string, now = new Date()): Promise<OpenInvitation> {
    const found = await this.deps.invitations.findByToken(token);
    if (!found) throw new InvitationUnavailable('unknown');
    const status = statusOf(found.record, now);
    if (status !== 'pending') throw new InvitationUnavailable(status);
    return {
      id: found.id,
      record: found.record,
      services: JSON.parse(found.record.services),
      customer: JSON.parse(found.record.customer),
    };
  }

  /** The invitation a token opens, whatever its state (for the result page after completion). */
  async findInvitation(token: string) {
    return this.deps.invitations.findByToken(token);
  }

  /** Refuses a tenant other than the one the invitation expects (GUID, or a domain resolved to its GUID). */
  async checkExpectedTenant(invitation: OpenInvitation, tenantId: string): Promise<void> {
    const expected = invitation.record.expectedTenant;
    if (!expected) return;
    const expectedId = await resolveTenantId(this.deps.settings.authorityHost, expected);
    if (expectedId !== tenantId.toLowerCase()) {
      throw new OnboardingRefused(
        'unexpected_tenant',
        `This invitation is for the tenant ${expected}, but the app registration is in another tenant. Sign in to, or register the app in, ${expected}.`,
        'tenantId',
      );
    }
  }

  /** Refuses, before anything is created or stored, a tenant already connected through another invitation. */
  async ensureNotConnected(invitation: OpenInvitation, tenantId: string): Promise<void> {
    const existing = await this.deps.registry.get(tenantId);
    if (
      existing &&
      existing.entity.status !== 'offboarded' &&
      existing.entity.invitationId !== invitation.id
    ) {
      throw new OnboardingRefused(
        'tenant_already_connected',
        'This Microsoft 365 tenant is connected to the Live Platform already. Ask your service provider to add services to that connection instead.',
      );
    }
  }

  validate(
    invitation: Pick<InvitationRecord, 'automaticDns'>,
    facts: RegistrationFacts,
    dnsWorkPending: boolean,
  ): ValidationReport {
    return validateRegistration({
      automaticDns: invitation.automaticDns,
      dnsWorkPending,
      appRoleIds: facts.appRoleIds,
      grantedPermissions: facts.grantedPermissions,
    });
  }

  /**
   * Manual registration: nothing is stored until the credentials work. Then the secret goes to Key Vault (one per
   * service), the tenant is registered with its validation and events, and the invitation is completed.
   */
  async registerManually(
    token: string,
    input: { tenantId: string; clientId: string; clientSecret: string; ip?: string },
    now = new Date(),
  ): Promise<{ tenant: TenantView; report: ValidationReport }> {
    const invitation = await this.openInvitation(token, now);
    if (invitation.record.method === 'automatic') {
      throw new OnboardingRefused(
        'manual_not_offered',
        'Your service provider asked for automatic registration: use “Sign in with Microsoft”.',
      );
    }
    const tenantId = input.tenantId.trim().toLowerCase();
    const clientId = input.clientId.trim().toLowerCase();
    if (!isTenantGuid(tenantId))
      throw new OnboardingRefused(
        'invalid_tenant_id',
        'The Directory (tenant) ID must be a GUID, like 00000000-0000-0000-0000-000000000000.',
        'tenantId',
      );
    if (!isTenantGuid(clientId))
      throw new OnboardingRefused(
        'invalid_client_id',
        'The Application (client) ID must be a GUID.',
        'clientId',
      );
    if (input.clientSecret.trim().length < 8)
      throw new OnboardingRefused('secret_not_pasted', 'Paste the client secret’s Value.', 'clientSecret');
    await this.checkExpectedTenant(invitation, tenantId);
    await this.ensureNotConnected(invitation, tenantId);
    const secret = input.clientSecret.trim();
    let facts: RegistrationFacts;
    try {
      facts = await probeRegistration(
        this.deps.tokens,
        this.deps.graph,
        { tenantId, clientId, secret },
        { fresh: true },
      );
    } catch (error) {
      await this.deps.audit.record(
        {
          actor: 'tenant-admin',
          action: 'onboarding.manual',
          tenantId,
          invitationId: invitation.id,
          ip: input.ip,
          outcome: 'refused',
          detail: errorCode(error) ?? 'error',
        },
        now,
      );
      throw error;
    }
    const report = this.validate(invitation.record, facts, invitation.record.automaticDns);
    const expiresOn = new Date(now.getTime() + defaultSecretLifetimeDays * 86_400_000);
    for (const service of invitation.services) {
      await this.deps.secrets.put({ tenantId, serviceId: service.id, clientId, secret, expiresOn });
    }
    const tenant = await this.finish(
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

  /** Registers the tenant (with its events), completes the invitation, and audits it. */
  async finish(
    invitation: OpenInvitation,
    outcome: {
      tenantId: string;
      clientId: string;
      servicePrincipalId: string;
      method: 'automatic' | 'manual';
      report: ValidationReport;
      ip?: string;
    },
    now = new Date(),
  ): Promise<TenantView> {
    const tenant = await this.deps.registry.onboard(
      {
        tenantId: outcome.tenantId,
        invitationId: invitation.id,
        method: outcome.method,
        clientId: outcome.clientId,
        servicePrincipalId: outcome.servicePrincipalId,
        customer: invitation.customer,
        services: invitation.services,
        licenceType: invitation.record.licenceType,
        automaticDns: invitation.record.automaticDns,
        report: outcome.report,
      },
      now,
    );
    await this.deps.invitations.complete(invitation.id, outcome.tenantId, now);
    await this.deps.audit.record(
      {
        actor: 'tenant-admin',
        action: `onboarding.${outcome.method}`,
        tenantId: outcome.tenantId,
        invitationId: invitation.id,
        ip: outcome.ip,
        outcome: 'succeeded',
        detail: `verdict ${outcome.report.verdict}`,
      },
      now,
    );
    return tenant;
  }
}
