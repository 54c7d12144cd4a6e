import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../../src/lib/graph/retry-after.js';

describe('Retry-After', () => {
  const now = Date.parse('2026-12-02T10:00:00Z');

  it('reads delay-seconds', () => {
    expect(retryAfterMs('30', now)).toBe(30_000);
    expect(retryAfterMs('0', now)).toBe(0);
  });

  it('reads an HTTP-date as the time until then, never below zero', () => {
    expect(retryAfterMs('Wed, 02 Dec 2026 10:00:45 GMT', now)).toBe(45_000);
    expect(retryAfterMs('Wed, 02 Dec 2026 09:59:00 GMT', now)).toBe(0);
  });

  it('says nothing for an absent or unreadable header', () => {
    for (const header of [null, '', 'soon', '-5']) expect(retryAfterMs(header, now)).toBeUndefined();
  });
});
