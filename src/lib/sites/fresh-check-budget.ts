/**
 * How often a page anyone with its link may open asks Microsoft afresh: a few checks at once (an admin assigning
 * roles one by one and checking after each), then one per `refillMs`; between them the last answer, up to
 * `keepMs` old, is shown instead. Kept per tenant in this instance's memory (each instance has its own budget,
 * which bounds the calls to Microsoft per instance).
 */
export class FreshCheckBudget<T> {
  private readonly tenants = new Map<
    string,
    { tokens: number; at: number; last?: { at: number; value: T } }
  >();

  constructor(
    private readonly burst = 5,
    private readonly refillMs = 12_000,
    private readonly keepMs = 60_000,
  ) {}

  /** How many tenants this instance keeps a budget for (those idle long enough are forgotten). */
  get size(): number {
    return this.tenants.size;
  }

  /** A fresh answer when the budget allows, else the last one while it is recent; undefined: ask again later. */
  async answer(tenantId: string, fresh: () => Promise<T>, now = Date.now()): Promise<T | undefined> {
    this.forgetIdle(now);
    const entry = this.tenants.get(tenantId) ?? { tokens: this.burst, at: now };
    entry.tokens = Math.min(this.burst, entry.tokens + (now - entry.at) / this.refillMs);
    entry.at = now;
    this.tenants.set(tenantId, entry);
    if (entry.tokens >= 1) {
      entry.tokens -= 1;
      const value = await fresh();
      entry.last = { at: now, value };
      return value;
    }
    return entry.last && now - entry.last.at < this.keepMs ? entry.last.value : undefined;
  }

  /** A tenant whose budget is full again and whose last answer is too old to show is as good as never seen. */
  private forgetIdle(now: number): void {
    for (const [tenantId, entry] of this.tenants) {
      const full = entry.tokens + (now - entry.at) / this.refillMs >= this.burst;
      const stale = !entry.last || now - entry.last.at >= this.keepMs;
      if (full && stale) this.tenants.delete(tenantId);
    }
  }
}
