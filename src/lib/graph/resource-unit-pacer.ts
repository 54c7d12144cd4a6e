/**
 * Keeps one app's Graph calls in one tenant under a resource-unit budget per 10 seconds (Graph's window), so work
 * slows down before Graph answers 429. Costs are what Graph reports (`x-ms-resource-unit`); when Graph says the
 * app used most of its limit (`x-ms-throttle-limit-percentage`), the budget shrinks.
 */
export class ResourceUnitPacer {
  private readonly spent: { at: number; cost: number }[] = [];
  private budget: number;

  constructor(
    /** Resource units per 10 s to stay under; Graph's smallest tenant tier (3,500), less a margin, by default. */
    private readonly fullBudget = 3500 * 0.8,
    private readonly now = () => Date.now(),
    private readonly sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  ) {
    this.budget = fullBudget;
  }

  private used(at: number): number {
    while (this.spent.length && (this.spent[0]?.at ?? 0) <= at - 10_000) this.spent.shift();
    return this.spent.reduce((sum, entry) => sum + entry.cost, 0);
  }

  /** Waits until a request of `cost` fits the budget. */
  async before(cost = 2): Promise<void> {
    for (;;) {
      const now = this.now();
      if (this.used(now) + cost <= this.budget || this.spent.length === 0) return;
      await this.sleep(Math.max((this.spent[0]?.at ?? now) + 10_000 - now, 10));
    }
  }

  /**
   * Records what a response cost; shrinks the budget when Graph reports the limit nearly reached, and lets it
   * grow back (a tenth at a time, up to the full budget) while Graph reports no such thing.
   */
  after(headers: Headers): void {
    const cost = Number(headers.get('x-ms-resource-unit') ?? 1) || 1;
    this.spent.push({ at: this.now(), cost });
    const usage = Number(headers.get('x-ms-throttle-limit-percentage'));
    if (usage >= 0.8) this.budget = Math.max(this.budget * 0.8, 10);
    else if (this.budget < this.fullBudget)
      this.budget = Math.min(this.budget + this.fullBudget / 10, this.fullBudget);
  }

  get currentBudget(): number {
    return this.budget;
  }
}
