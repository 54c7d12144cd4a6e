import type { DomainEvent } from '../events/event-catalogue.js';
import type { Outbox } from '../events/outbox.js';
import type { CredentialProblemCode } from '../identity/credential-problem.js';
import type { Stored, TableTransaction } from '../storage/entity-table.js';
import { ConcurrencyError, EntityExistsError } from '../storage/storage-errors.js';
import { tableFilter } from '../storage/table-filters.js';
import type { ValidationReport, Verdict } from '../validation/validate-registration.js';
import { TenantAlreadyOnboarded, TenantNotFound } from './tenant-errors.js';
import { type TenantTable, tenantRows } from './tenant-partition.js';
import {
  isLeaving,
  statusForVerdict,
  type TenantRecord,
  type TenantService,
  type TenantView,
  toTenantView,
} from './tenant-record.js';

export interface Onboarding {
  tenantId: string;
  invitationId: string;
  method: 'automatic' | 'manual';
  clientId: string;
  servicePrincipalId: string;
  customer: { reference: string; name: string };
  services: { id: string; name: string }[];
  licenceType: string;
  automaticDns: boolean;
  writeBack?: boolean;
  report: ValidationReport;
}

/**
 * The tenants and their status. Every change is one transaction in the tenant's partition together with the
 * events that report it (the outbox), then a nudge to the dispatcher.
 */
export class TenantRegistry {
  constructor(
    private readonly table: TenantTable,
    private readonly outbox: Outbox,
  ) {}

  async get(tenantId: string) {
    return this.table.get(tenantId, tenantRows.tenant);
  }

  async view(tenantId: string): Promise<TenantView> {
    const stored = await this.get(tenantId);
    if (!stored) throw new TenantNotFound(tenantId);
    return toTenantView(tenantId, stored.entity);
  }

  async list(filter: { status?: TenantRecord['status']; top: number }): Promise<TenantView[]> {
    const views: TenantView[] = [];
    for await (const { entity } of this.table.query<TenantRecord>(tableFilter.rowKey(tenantRows.tenant))) {
      if (!filter.status || entity.status === filter.status)
        views.push(toTenantView(entity.partitionKey, entity));
    }
    return views.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, filter.top);
  }

  /**
   * Records a newly onboarded tenant with its first validation, and the events: invitation.completed,
   * tenant.onboarded, tenant.validation_changed. Doing it again for the same invitation changes nothing (a
   * replayed or refreshed callback); a tenant onboarded through another invitation is a conflict.
   */
  async onboard(input: Onboarding, now = new Date()): Promise<TenantView> {
    const existing = await this.get(input.tenantId);
    const returning =
      existing?.entity.status === 'offboarded' && existing.entity.invitationId !== input.invitationId;
    if (existing && !returning) return this.sameInvitation(input, existing.entity);
    const at = now.toISOString();
    const record: TenantRecord = {
      status: statusForVerdict(input.report.verdict),
      invitationId: input.invitationId,
      method: input.method,
      clientId: input.clientId,
      servicePrincipalId: input.servicePrincipalId,
      customer: JSON.stringify(input.customer),
      services: JSON.stringify(input.services),
      licenceType: input.licenceType,
      automaticDns: input.automaticDns,
      dnsWorkPending: input.automaticDns,
      ...(input.writeBack ? { writeBack: true } : {}),
      verdict: input.report.verdict,
      validation: JSON.stringify(input.report),
      validatedAt: at,
      createdAt: at,
      updatedAt: at,
      statusChangedAt: at,
    };
    const events: DomainEvent[] = [
      { type: 'invitation.completed', data: { invitationId: input.invitationId, tenantId: input.tenantId } },
      {
        type: 'tenant.onboarded',
        data: {
          tenantId: input.tenantId,
          invitationId: input.invitationId,
          method: input.method,
          clientId: input.clientId,
        },
      },
      {
        type: 'tenant.validation_changed',
        data: { tenantId: input.tenantId, verdict: input.report.verdict },
      },
    ];
    const transaction = this.table.transaction(input.tenantId);
    // A tenant offboarded before comes back: its tombstone is replaced, and its last offboarding's record goes.
    if (existing && returning) {
      transaction.update({ rowKey: tenantRows.tenant, ...record }, existing.etag);
      if (await this.table.get(input.tenantId, tenantRows.offboarding))
        transaction.deleteUnconditionally(tenantRows.offboarding);
    } else transaction.insert({ rowKey: tenantRows.tenant, ...record });
    this.outbox.stage(transaction, events, now);
    try {
      await transaction.commit();
    } catch (error) {
      if (!(error instanceof EntityExistsError)) throw error;
      const raced = await this.get(input.tenantId);
      if (raced) return this.sameInvitation(input, raced.entity);
      throw error;
    }
    await this.outbox.kick(input.tenantId);
    return toTenantView(input.tenantId, record);
  }

  /**
   * Records a reconnect: the tenant's (possibly new) app registration, its validation and status, with
   * invitation.completed, tenant.reconnected and, when the verdict changed, tenant.validation_changed. The same
   * invitation again changes nothing (a replayed or refreshed callback).
   */
  async reconnect(input: Onboarding, now = new Date()): Promise<TenantView> {
    const stored = await this.get(input.tenantId);
    if (!stored || isLeaving(stored.entity.status)) throw new TenantNotFound(input.tenantId);
    if (stored.entity.reconnectInvitationId === input.invitationId)
      return toTenantView(input.tenantId, stored.entity);
    const at = now.toISOString();
    const previous = stored.entity;
    const record: TenantRecord = {
      ...withValidation(previous, input.report, at),
      method: input.method,
      clientId: input.clientId,
      servicePrincipalId: input.servicePrincipalId,
      reconnectedAt: at,
      reconnectInvitationId: input.invitationId,
    };
    const events: DomainEvent[] = [
      { type: 'invitation.completed', data: { invitationId: input.invitationId, tenantId: input.tenantId } },
      {
        type: 'tenant.reconnected',
        data: {
          tenantId: input.tenantId,
          invitationId: input.invitationId,
          method: input.method,
          clientId: input.clientId,
          previousStatus: previous.status,
        },
      },
      ...verdictChanged(input.tenantId, previous.verdict, input.report),
    ];
    const transaction = this.table
      .transaction(input.tenantId)
      .update({ ...record, rowKey: tenantRows.tenant }, stored.etag);
    this.outbox.stage(transaction, events, now);
    await transaction.commit();
    await this.outbox.kick(input.tenantId);
    return toTenantView(input.tenantId, record);
  }

  private sameInvitation(input: Onboarding, record: TenantRecord): TenantView {
    if (record.invitationId !== input.invitationId && record.status !== 'offboarded') {
      throw new TenantAlreadyOnboarded();
    }
    return toTenantView(input.tenantId, record);
  }

  /** Stores a new validation; a changed verdict moves the status and emits tenant.validation_changed. */
  async recordValidation(tenantId: string, report: ValidationReport, now = new Date()): Promise<TenantView> {
    const stored = await this.get(tenantId);
    if (!stored) throw new TenantNotFound(tenantId);
    // A tenant on its way out keeps its status; a validation under way as it left changes nothing.
    if (isLeaving(stored.entity.status)) return toTenantView(tenantId, stored.entity);
    const record = withValidation(stored.entity, report, now.toISOString());
    const transaction = this.table
      .transaction(tenantId)
      .update({ ...record, rowKey: tenantRows.tenant }, stored.etag);
    const events = verdictChanged(tenantId, stored.entity.verdict, report);
    this.outbox.stage(transaction, events, now);
    await transaction.commit();
    if (events.length > 0) await this.outbox.kick(tenantId);
    return toTenantView(tenantId, record);
  }

  /**
   * Replaces the tenant's services, in one transaction with what the caller writes alongside (its own rows in the
   * partition) and the events that report the change. Fails when the tenant changed since `etag`.
   */
  async changeServices(
    tenantId: string,
    change: {
      services: TenantService[];
      etag: string;
      alongside: (transaction: TableTransaction) => void;
      events: DomainEvent[];
    },
    now = new Date(),
  ): Promise<void> {
    const stored = await this.get(tenantId);
    if (!stored) throw new TenantNotFound(tenantId);
    const transaction = this.table.transaction(tenantId);
    this.writeServices(transaction, { entity: stored.entity, etag: change.etag }, change.services, now);
    change.alongside(transaction);
    this.outbox.stage(transaction, change.events, now);
    await transaction.commit();
    await this.outbox.kick(tenantId);
  }

  /** The tenant row read as `stored`, with these services, written in the caller's transaction if it is unchanged. */
  writeServices(
    transaction: TableTransaction,
    stored: Stored<TenantRecord>,
    services: TenantService[],
    now = new Date(),
  ): void {
    transaction.update(
      {
        ...stored.entity,
        rowKey: tenantRows.tenant,
        services: JSON.stringify(services),
        updatedAt: now.toISOString(),
      },
      stored.etag,
    );
  }

  /**
   * Whether automatic DNS has work to do now (a site under way), which makes its roles needed now; a tenant with a
   * site uses automatic DNS from then on. With `alongside`, in one transaction with the caller's own rows, and
   * only if the tenant did not change since `etag`.
   */
  async changeDnsWork(
    tenantId: string,
    change: { pending: boolean; etag?: string; alongside?: (transaction: TableTransaction) => void },
    now = new Date(),
  ): Promise<void> {
    const stored = await this.get(tenantId);
    if (!stored) throw new TenantNotFound(tenantId);
    if (!change.alongside && stored.entity.dnsWorkPending === change.pending && stored.entity.automaticDns)
      return;
    const transaction = this.table.transaction(tenantId).update(
      {
        ...stored.entity,
        rowKey: tenantRows.tenant,
        automaticDns: true,
        dnsWorkPending: change.pending,
        updatedAt: now.toISOString(),
      },
      change.etag ?? stored.etag,
    );
    change.alongside?.(transaction);
    await transaction.commit();
  }

  /** Turns write-back on or off for the tenant (its validation then asks for its permissions, or not). */
  async setWriteBack(tenantId: string, enabled: boolean, now = new Date()): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const stored = await this.get(tenantId);
      if (!stored || isLeaving(stored.entity.status)) throw new TenantNotFound(tenantId);
      if ((stored.entity.writeBack ?? false) === enabled) return;
      try {
        await this.table.update(
          { ...stored.entity, rowKey: tenantRows.tenant, writeBack: enabled, updatedAt: now.toISOString() },
          stored.etag,
        );
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= 5) throw error;
      }
    }
  }

  /** Marks the tenant's credentials as not working and tells the core, once (not again while still invalid). */
  async markCredentialsInvalid(
    tenantId: string,
    problem: CredentialProblemCode,
    serviceId?: string,
    now = new Date(),
  ): Promise<void> {
    const stored = await this.get(tenantId);
    if (!stored || stored.entity.status === 'credentials_invalid' || isLeaving(stored.entity.status)) return;
    const at = now.toISOString();
    const transaction = this.table.transaction(tenantId).update(
      {
        ...stored.entity,
        rowKey: tenantRows.tenant,
        status: 'credentials_invalid',
        updatedAt: at,
        statusChangedAt: at,
      },
      stored.etag,
    );
    this.outbox.stage(
      transaction,
      [
        {
          type: 'tenant.credentials_invalid',
          data: { tenantId, reason: problem, ...(serviceId ? { serviceId } : {}) },
        },
      ],
      now,
    );
    await transaction.commit();
    await this.outbox.kick(tenantId);
  }
}

/** The tenant with a new validation: its verdict, the report, and the status the verdict leads to. */
function withValidation(record: TenantRecord, report: ValidationReport, at: string): TenantRecord {
  const status = statusForVerdict(report.verdict);
  return {
    ...record,
    verdict: report.verdict,
    validation: JSON.stringify(report),
    validatedAt: at,
    updatedAt: at,
    status,
    statusChangedAt: status === record.status ? record.statusChangedAt : at,
  };
}

/** tenant.validation_changed when the verdict is not the one before; nothing otherwise. */
function verdictChanged(
  tenantId: string,
  previous: Verdict | undefined,
  report: ValidationReport,
): DomainEvent[] {
  if (previous === report.verdict) return [];
  return [
    {
      type: 'tenant.validation_changed',
      data: { tenantId, verdict: report.verdict, ...(previous ? { previousVerdict: previous } : {}) },
    },
  ];
}
