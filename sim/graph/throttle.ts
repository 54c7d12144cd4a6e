import type { SimRequest } from '../http-kit.js';
import type { TenantState } from '../tenant/tenant-state.js';

/**
 * Graph's identity and access throttling: resource units per app per tenant per 10 seconds, with a budget by
 * tenant size and a cost per request (https://learn.microsoft.com/graph/throttling-limits).
 * Throttled requests still count.
 */
export class ResourceUnitThrottle {
  private readonly windows = new Map<string, { start: number; used: number }>();
  /** Replaces the size-based budget (per 10 s) for every tenant, e.g. to provoke 429s in a test. */
  budgetOverride: number | undefined;

  static readonly windowMs = 10_000;

  budgetFor(tenant: TenantState): number {
    if (this.budgetOverride !== undefined) return this.budgetOverride;
    const users = tenant.users.size;
    return users < 50 ? 3500 : users <= 500 ? 5000 : 8000;
  }

  static cost(request: SimRequest, route: string): number {
    if (request.method !== 'GET') return 1;
    let cost = /^\/users(\/delta)?$/.test(route) ? 2 : /^\/groups\/[^/]+\/members$/.test(route) ? 3 : 1;
    if (request.url.searchParams.has('$select')) cost -= 1;
    if (request.url.searchParams.has('$expand')) cost += 1;
    return Math.max(cost, 1);
  }

  /** Charges `cost`; says whether the request may go on, how full the window is, and when to retry. */
  charge(appId: string, tenant: TenantState, cost: number, now = Date.now()) {
    const key = `${appId}/${tenant.id}`;
    let window = this.windows.get(key);
    if (!window || now - window.start >= ResourceUnitThrottle.windowMs) {
      window = { start: now, used: 0 };
      this.windows.set(key, window);
    }
    window.used += cost;
    const limit = this.budgetFor(tenant);
    return {
      allowed: window.used <= limit,
      usage: window.used / limit,
      retryAfterSeconds: Math.max(1, Math.ceil((window.start + ResourceUnitThrottle.windowMs - now) / 1000)),
    };
  }

  reset(): void {
    this.windows.clear();
  }
}
