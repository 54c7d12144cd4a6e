import { resolveTenantId } from '../identity/resolve-tenant.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import type { OpenInvitation } from './invitation-access.js';
import { OnboardingRefused } from './onboarding-errors.js';

/**
 * The checks a tenant must pass before anything is created in it or stored for it, on either path: it is the
 * tenant the invitation expects, and it is not connected through another invitation (a reconnect: it is).
 */
export class TenantAdmission {
  constructor(private readonly deps: { authorityHost: string; registry: TenantRegistry }) {}

  async admit(invitation: OpenInvitation, tenantId: string): Promise<void> {
    await this.checkExpectedTenant(invitation, tenantId);
    await this.ensureNotConnected(invitation, tenantId);
  }

  /** Refuses a tenant other than the one the invitation expects (GUID, or a domain resolved to its GUID). */
  private async checkExpectedTenant(invitation: OpenInvitation, tenantId: string): Promise<void> {
    const expected = invitation.record.expectedTenant;
    if (!expected) return;
    const expectedId = await resolveTenantId(this.deps.authorityHost, expected);
    if (expectedId !== tenantId.toLowerCase()) {
      throw new OnboardingRefused(
        'unexpected_tenant',
        `This invitation is for the tenant ${expected}, but the app registration is in another tenant. Sign in to, or register the app in, ${expected}.`,
      );
    }
  }

  /**
   * Refuses a tenant already connected through another invitation (the manual path would overwrite its secrets);
   * a reconnect invitation, the other way round, needs its tenant connected.
   */
  private async ensureNotConnected(invitation: OpenInvitation, tenantId: string): Promise<void> {
    const existing = await this.deps.registry.get(tenantId);
    if (invitation.record.reconnect) {
      if (!existing || existing.entity.status === 'offboarded')
        throw new OnboardingRefused(
          'tenant_not_connected',
          'This Microsoft 365 tenant is no longer connected to the Live Platform, so there is nothing to reconnect. Ask your service provider for a new invitation.',
        );
      return;
    }
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
}
