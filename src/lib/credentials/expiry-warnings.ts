import type { Outbox } from '../events/outbox.js';
import { ConcurrencyError, EntityExistsError } from '../storage/storage-errors.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';

/** Days before a secret's end at which the core hears of it, when only the customer can renew it. */
export const warningDays = [30, 14, 7, 1] as const;

const dayMs = 86_400_000;

/** The warning level a secret with this much time left has reached: the nearest of warningDays not below it. */
export function warningLevel(expiresOn: Date, now: Date): number | undefined {
  const daysLeft = (expiresOn.getTime() - now.getTime()) / dayMs;
  return [...warningDays].reverse().find((days) => daysLeft <= days);
}

export interface ExpiringSecret {
  tenantId: string;
  serviceId: string;
  clientId: string;
  expiresOn: Date;
  /** A certificate is renewed by the admin signing in again (the connector makes the new one). */
  certificate?: boolean;
}

/**
 * `credentials.expiring` for secrets only the customer's admin can renew: once at each of 30, 14, 7 and 1 days
 * before the end, and once only per level (a level missed while the connector was down is not made up: the
 * nearest one is sent). The warning and its record are one transaction, so a crash neither loses nor repeats one.
 */
export class ExpiryWarnings {
  constructor(private readonly deps: { tenants: TenantTable; outbox: Outbox }) {}

  /** Sends the warning this secret is due now, if any; true when one was sent. */
  async warnIfDue(secret: ExpiringSecret, now = new Date()): Promise<boolean> {
    const level = warningLevel(secret.expiresOn, now);
    if (level === undefined) return false;
    const key = tenantRows.expiryWarning(secret.serviceId);
    const stored = await this.deps.tenants.get(secret.tenantId, key);
    const expiresAt = secret.expiresOn.toISOString();
    if (stored?.entity.expiresAt === expiresAt && stored.entity.warnedDays <= level) return false;
    const row = { serviceId: secret.serviceId, expiresAt, warnedDays: level, warnedAt: now.toISOString() };
    const transaction = this.deps.tenants.transaction(secret.tenantId);
    if (stored) transaction.update({ rowKey: key, ...row }, stored.etag);
    else transaction.insert({ rowKey: key, ...row });
    const daysLeft = Math.max(0, Math.floor((secret.expiresOn.getTime() - now.getTime()) / dayMs));
    this.deps.outbox.stage(
      transaction,
      [
        {
          type: 'credentials.expiring',
          data: {
            tenantId: secret.tenantId,
            serviceId: secret.serviceId,
            clientId: secret.clientId,
            expiresAt,
            daysLeft,
            action: secret.certificate
              ? `Before ${expiresAt}, the customer's admin must sign in again through a reconnect link (POST /api/tenants/${secret.tenantId}/reconnect, method automatic), which gives the app registration ${secret.clientId} a new certificate; the connector cannot renew it itself, and the connection stops working when it ends.`
              : `Before ${expiresAt}, the customer's admin must add a new client secret to the app registration ${secret.clientId} and enter it through a reconnect link (POST /api/tenants/${secret.tenantId}/reconnect); the connector cannot renew it itself, and the connection stops working when it ends.`,
          },
        },
      ],
      // Stamped when written: an event is never due later than it is made.
    );
    try {
      await transaction.commit();
    } catch (error) {
      // Another check recorded this warning first.
      if (error instanceof ConcurrencyError || error instanceof EntityExistsError) return false;
      throw error;
    }
    await this.deps.outbox.kick(secret.tenantId);
    return true;
  }
}
