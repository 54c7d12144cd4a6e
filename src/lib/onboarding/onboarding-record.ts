import type { AuditLog } from '../audit/audit-log.js';
import { errorCode } from '../errors/connector-error.js';
import type { InvitationService } from '../invitations/invitation-service.js';
import type { AddSite } from '../sites/site-schema.js';
import type { TenantView } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { type ValidationReport, validateRegistration } from '../validation/validate-registration.js';
import type { OpenInvitation } from './invitation-access.js';
import type { RegistrationFacts } from './probe-registration.js';

export type OnboardingMethod = 'automatic' | 'manual';

/** How an onboarding ended, on either path: the tenant registered, the invitation completed, the audit trail. */
export class OnboardingRecord {
  constructor(
    private readonly deps: {
      registry: TenantRegistry;
      invitations: InvitationService;
      audit: AuditLog;
      /** The cloud's Graph has the Teams telephony endpoints. */
      teamsApis: boolean;
      /** Starts the invitation's initial site (automatic DNS) once the tenant is onboarded. */
      startSite: (tenantId: string, site: AddSite) => Promise<unknown>;
      /** Turns near-real-time replication on once the tenant is onboarded, when the invitation asks for it. */
      startNearRealTime: (tenantId: string) => Promise<unknown>;
      /** After a reconnect: near-real-time on again when it went off because the credentials had stopped working. */
      resumeNearRealTime: (tenantId: string) => Promise<unknown>;
    },
  ) {}

  /**
   * The first validation report of a new registration (automatic DNS has its onboarding work still to do), or of
   * a reconnected one (DNS work as the tenant has it now).
   */
  validate(
    invitation: OpenInvitation,
    facts: RegistrationFacts,
    sharedSecrets?: readonly (readonly string[])[],
  ): ValidationReport {
    return validateRegistration({
      automaticDns: invitation.record.automaticDns,
      dnsWorkPending: invitation.reconnect?.dnsWorkPending ?? invitation.record.automaticDns,
      ...(sharedSecrets ? { sharedSecrets } : {}),
      appRoleIds: facts.appRoleIds,
      grantedPermissions: facts.grantedPermissions,
      changesItself: facts.changesItself,
      teamsApis: this.deps.teamsApis,
      nearRealTime: invitation.record.nearRealTime ?? false,
      writeBack: invitation.record.writeBack ?? false,
    });
  }

  /** Registers the tenant, or its reconnect (with the events), completes the invitation, and audits it. */
  async finish(
    invitation: OpenInvitation,
    outcome: {
      tenantId: string;
      clientId: string;
      servicePrincipalId: string;
      method: OnboardingMethod;
      report: ValidationReport;
      ip?: string;
    },
    now = new Date(),
  ): Promise<TenantView> {
    const reconnect = Boolean(invitation.record.reconnect);
    const tenant = await this.deps.registry[reconnect ? 'reconnect' : 'onboard'](
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
        ...(invitation.record.writeBack ? { writeBack: true } : {}),
        report: outcome.report,
      },
      now,
    );
    await this.deps.invitations.complete(invitation.id, outcome.tenantId, now);
    if (invitation.record.site)
      await this.startSite(outcome.tenantId, invitation, JSON.parse(invitation.record.site));
    if (invitation.record.nearRealTime && !reconnect)
      await this.startNearRealTime(outcome.tenantId, invitation, this.deps.startNearRealTime);
    if (reconnect) await this.startNearRealTime(outcome.tenantId, invitation, this.deps.resumeNearRealTime);
    await this.deps.audit.record(
      {
        actor: 'tenant-admin',
        action: `${reconnect ? 'reconnect' : 'onboarding'}.${outcome.method}`,
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

  /**
   * The initial site starts without the roles check of a Day Two site (the report just made shows what is
   * missing, and a site without its roles fails with site.failed, which the same site request resumes). A
   * refreshed callback starts it again, which finds it started.
   */
  private async startSite(tenantId: string, invitation: OpenInvitation, site: AddSite): Promise<void> {
    try {
      await this.deps.startSite(tenantId, site);
    } catch (error) {
      await this.deps.audit.record({
        actor: 'connector',
        action: 'site.initial',
        tenantId,
        invitationId: invitation.id,
        outcome: 'refused',
        detail: `${site.siteId}: ${errorCode(error) ?? 'error'}`,
      });
    }
  }

  /**
   * Near-real-time replication, when the invitation asks for it: a refusal (a permission not granted yet) is
   * audited and leaves the tenant onboarded, on the daily run; the validation report says what is missing, and
   * `PUT …/near-real-time` turns it on later.
   */
  private async startNearRealTime(
    tenantId: string,
    invitation: OpenInvitation,
    start: (tenantId: string) => Promise<unknown>,
  ): Promise<void> {
    try {
      await start(tenantId);
    } catch (error) {
      await this.deps.audit.record({
        actor: 'connector',
        action: 'near_real_time.initial',
        tenantId,
        invitationId: invitation.id,
        outcome: 'refused',
        detail: errorCode(error) ?? 'error',
      });
    }
  }

  /** Audits a refused onboarding: who, which invitation and tenant (when known), and the refusal's code. */
  async refused(
    invitation: OpenInvitation,
    refusal: { method: OnboardingMethod; error: unknown; tenantId?: string; ip?: string },
    now = new Date(),
  ): Promise<void> {
    await this.deps.audit.record(
      {
        actor: 'tenant-admin',
        action: `onboarding.${refusal.method}`,
        ...(refusal.tenantId ? { tenantId: refusal.tenantId } : {}),
        invitationId: invitation.id,
        ip: refusal.ip,
        outcome: 'refused',
        detail: errorCode(refusal.error) ?? 'error',
      },
      now,
    );
  }
}
