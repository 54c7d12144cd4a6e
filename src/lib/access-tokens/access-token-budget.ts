import type { Stored } from '../storage/entity-table.js';
import { ConcurrencyError, EntityExistsError } from '../storage/storage-errors.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import { AccessTokensRateLimited } from './access-token-errors.js';

/**
 * A tenant's access token requests (`access-tokens` in its partition). Owner: AccessTokenBudget. The hour's
 * requests are counted from `windowStart`; `issued` and `lastIssuedAt` count the answers that carried tokens.
 */
export interface AccessTokenBudgetRow {
  windowStart: string;
  windowRequests: number;
  issued: number;
  lastIssuedAt?: string;
}

declare module '../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    accessTokens: AccessTokenBudgetRow;
  }
}

const hourMs = 3_600_000;
const attempts = 8;

/** What the tenant view shows of a tenant's access tokens. */
export interface AccessTokenCounts {
  issued: number;
  lastIssuedAt?: string;
  requestsThisHour: number;
  limitPerHour: number;
}

/**
 * At most `limitPerHour` access token requests per tenant in an hour, counted in storage so every instance of
 * the connector holds the same line (a fixed window from the first request; etag-checked, so two requests at
 * once both count).
 */
export class AccessTokenBudget {
  constructor(
    private readonly tenants: TenantTable,
    private readonly limitPerHour: number,
  ) {}

  /** Counts one request, or refuses it (AccessTokensRateLimited, with when to ask again). */
  async take(tenantId: string, now = new Date()): Promise<void> {
    await this.change(tenantId, (row) => {
      const start = row ? Date.parse(row.windowStart) : Number.NaN;
      const fresh = !row || !(now.getTime() - start < hourMs);
      if (!fresh && (row?.windowRequests ?? 0) >= this.limitPerHour)
        throw new AccessTokensRateLimited(
          Math.max(1, Math.ceil((start + hourMs - now.getTime()) / 1000)),
          this.limitPerHour,
        );
      return {
        issued: row?.issued ?? 0,
        ...(row?.lastIssuedAt ? { lastIssuedAt: row.lastIssuedAt } : {}),
        windowStart: fresh ? now.toISOString() : (row?.windowStart as string),
        windowRequests: fresh ? 1 : (row?.windowRequests ?? 0) + 1,
      };
    });
  }

  /** Counts an answer that carried tokens. */
  async issued(tenantId: string, now = new Date()): Promise<void> {
    await this.change(tenantId, (row) => ({
      windowStart: row?.windowStart ?? now.toISOString(),
      windowRequests: row?.windowRequests ?? 0,
      issued: (row?.issued ?? 0) + 1,
      lastIssuedAt: now.toISOString(),
    }));
  }

  async counts(tenantId: string, now = new Date()): Promise<AccessTokenCounts> {
    const row = (await this.tenants.get(tenantId, tenantRows.accessTokens))?.entity;
    const current = row && now.getTime() - Date.parse(row.windowStart) < hourMs;
    return {
      issued: row?.issued ?? 0,
      ...(row?.lastIssuedAt ? { lastIssuedAt: row.lastIssuedAt } : {}),
      requestsThisHour: current ? row.windowRequests : 0,
      limitPerHour: this.limitPerHour,
    };
  }

  private async change(
    tenantId: string,
    next: (row: AccessTokenBudgetRow | undefined) => AccessTokenBudgetRow,
  ): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const stored: Stored<AccessTokenBudgetRow> | undefined = await this.tenants.get(
        tenantId,
        tenantRows.accessTokens,
      );
      const entity = { partitionKey: tenantId, rowKey: tenantRows.accessTokens, ...next(stored?.entity) };
      try {
        if (stored) await this.tenants.update(entity, stored.etag);
        else await this.tenants.insert(entity);
        return;
      } catch (error) {
        const raced = error instanceof ConcurrencyError || error instanceof EntityExistsError;
        if (!raced || attempt >= attempts) throw error;
      }
    }
  }
}
