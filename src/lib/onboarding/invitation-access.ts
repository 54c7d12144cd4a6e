import { InvitationUnavailable } from '../invitations/invitation-errors.js';
import type { InvitationRecord, InvitationService } from '../invitations/invitation-service.js';
import { statusOf } from '../invitations/invitation-service.js';
import { lastReport, servicesOf, type TenantView } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import type { ValidationReport } from '../validation/validate-registration.js';

/** An invitation that can be used now, its options parsed. */
export interface OpenInvitation {
  id: string;
  record: InvitationRecord;
  services: { id: string; name: string }[];
  customer: { reference: string; name: string };
  /** A reconnect: the tenant's app registration as stored now (its services are the tenant's current ones). */
  reconnect?: { tenantId: string; clientId: string; dnsWorkPending: boolean };
}

/** What an invitation link's token opens. */
export class InvitationAccess {
  constructor(
    private readonly invitations: InvitationService,
    private readonly registry: TenantRegistry,
  ) {}

  /** The invitation a token opens, when it can be used now; InvitationUnavailable otherwise. */
  async open(token: string, now = new Date()): Promise<OpenInvitation> {
    const found = await this.invitations.findByToken(token);
    if (!found) throw new InvitationUnavailable('unknown');
    const status = statusOf(found.record, now);
    if (status !== 'pending') throw new InvitationUnavailable(status);
    const invitation: OpenInvitation = {
      id: found.id,
      record: found.record,
      services: JSON.parse(found.record.services),
      customer: JSON.parse(found.record.customer),
    };
    const tenantId = found.record.expectedTenant;
    if (!found.record.reconnect || !tenantId) return invitation;
    const tenant = await this.registry.get(tenantId);
    if (!tenant) return invitation;
    return {
      ...invitation,
      services: servicesOf(tenant.entity),
      reconnect: { tenantId, clientId: tenant.entity.clientId, dnsWorkPending: tenant.entity.dnsWorkPending },
    };
  }

  /**
   * The tenant a completed invitation connected, while its link is still within its validity (the result page
   * and "check again" stay reachable until then); undefined otherwise.
   */
  async connectedTenant(token: string, now = new Date()): Promise<string | undefined> {
    const found = await this.invitations.findByToken(token);
    const tenantId = found?.record.tenantId;
    if (!found || !tenantId) return undefined;
    return statusOf({ ...found.record, completedAt: undefined }, now) === 'pending' ? tenantId : undefined;
  }

  /** The connection a completed invitation made and its last report, while its link is valid. */
  async result(
    token: string,
    now = new Date(),
  ): Promise<{ tenant: TenantView; report: ValidationReport } | undefined> {
    const tenantId = await this.connectedTenant(token, now);
    const stored = tenantId ? await this.registry.get(tenantId) : undefined;
    const report = stored && lastReport(stored.entity);
    if (!tenantId || !report) return undefined;
    return { tenant: await this.registry.view(tenantId), report };
  }
}
