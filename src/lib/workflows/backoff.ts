/** The one backoff of the durable workflows: doubling from `firstMs`, never past `capMs`. */
export interface Backoff {
  firstMs: number;
  capMs: number;
}

export const faultBackoff: Backoff = { firstMs: 15_000, capMs: 15 * 60_000 };

/** The wait before attempt `attempts + 1`, after `attempts` (≥ 1) failed ones. */
export function backoffMs(attempts: number, backoff: Backoff = faultBackoff): number {
  return Math.min(backoff.firstMs * 2 ** Math.max(0, attempts - 1), backoff.capMs);
}

/** The longest a queue message can be hidden, so a wait longer than it comes back early and finds nothing due. */
export const maxQueueDelayMs = 7 * 24 * 3_600_000;
