import { decodeTime, ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { cursorPattern, nextFeedBase } from '../../../src/lib/replication/change-feed.js';

describe('change feed positions', () => {
  it('makes bases that sort after the one before, even when the clock is behind it', () => {
    const future = ulid(Date.now() + 3_600_000);
    const next = nextFeedBase(future);
    expect(next > future).toBe(true);
    expect(decodeTime(next)).toBe(decodeTime(future) + 1);
  });

  it('makes bases that grow with the clock', () => {
    const first = nextFeedBase();
    expect(nextFeedBase(first) > first).toBe(true);
  });

  it('accepts only cursors of a base, a batch and an entry', () => {
    const base = nextFeedBase();
    expect(cursorPattern.test(`${base}0000000`)).toBe(true);
    expect(cursorPattern.test(`${base}0012034`)).toBe(true);
    expect(cursorPattern.test(`${base}001203`)).toBe(false);
    expect(cursorPattern.test(`${base.toLowerCase()}0000000`)).toBe(false);
    expect(cursorPattern.test(`${base}000000a`)).toBe(false);
  });
});
