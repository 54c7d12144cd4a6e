import { randomUUID } from 'node:crypto';

/** A misbehaviour to inject into matching requests, `count` times (all of them when absent). */
export interface FaultRule {
  /** A regular expression matched against the request path; every request when absent. */
  path?: string;
  /** Answer with this status (e.g. 503) instead of serving the request. */
  status?: number;
  /** Seconds to put in Retry-After with `status`. */
  retryAfterSeconds?: number;
  /** Delay before answering (or before failing). */
  latencyMs?: number;
  /** Drop the connection without an answer. */
  reset?: boolean;
  /**
   * Serve the request first (its write takes effect), then fail the answer with `status` or `reset`: the client
   * cannot tell whether it happened, as when a response is lost on the way back.
   */
  afterWrite?: boolean;
  /** Only requests with this HTTP method (e.g. POST); every method when absent. */
  method?: string;
  count?: number;
}

/** The faults injected through the control API, consumed as matching requests arrive. */
export class Faults {
  private readonly rules = new Map<string, FaultRule & { pattern?: RegExp }>();

  add(rule: FaultRule): string {
    const id = randomUUID();
    this.rules.set(id, { ...rule, pattern: rule.path ? new RegExp(rule.path) : undefined });
    return id;
  }

  remove(id: string): void {
    this.rules.delete(id);
  }

  clear(): void {
    this.rules.clear();
  }

  /** The first rule matching `path` (and `method`), counting it as used. */
  take(path: string, method = 'GET'): FaultRule | undefined {
    for (const [id, rule] of this.rules) {
      if (rule.pattern && !rule.pattern.test(path)) continue;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.count !== undefined) {
        rule.count -= 1;
        if (rule.count <= 0) this.rules.delete(id);
      }
      return rule;
    }
    return undefined;
  }
}
