import { describe, expect, it } from 'vitest';
import { SeenKeys, seenMark } from '../../src/lib/replication/seen-keys.js';

describe('the rows a full enumeration saw unchanged', () => {
  it('knows every key it was given and none other, across growth and marks added after a lookup', () => {
    const seen = new SeenKeys();
    const key = (n: number) => `member|group-${n % 97}|user-${n}`;
    for (let n = 0; n < 3_000; n += 1) seen.add(seenMark(key(n)));
    expect(seen.has(key(2_999))).toBe(true);
    for (let n = 3_000; n < 5_000; n += 1) seen.add(seenMark(key(n)));
    expect(seen.count).toBe(5_000);
    const known = Array.from({ length: 5_000 }, (_, n) => seen.has(key(n)));
    expect(known.every(Boolean)).toBe(true);
    const unknown = Array.from({ length: 5_000 }, (_, n) => seen.has(key(n + 5_000)));
    expect(unknown.some(Boolean)).toBe(false);
  });

  it('keeps 11 characters of a key, whatever its length, and nothing of the key itself', () => {
    const mark = seenMark('user|3f8b7a52-0c1d-4e5f-9a8b-7c6d5e4f3a2b');
    expect(mark).toMatch(/^[A-Za-z0-9_-]{11}$/);
    expect(seenMark('user|3f8b7a52-0c1d-4e5f-9a8b-7c6d5e4f3a2b')).toBe(mark);
    expect(new SeenKeys().has('user|anything')).toBe(false);
  });
});
