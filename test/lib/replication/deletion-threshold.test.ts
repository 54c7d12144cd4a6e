import { describe, expect, it } from 'vitest';
import { crossesThreshold, parseDeletionThreshold } from '../../../src/lib/replication/deletion-threshold.js';

describe('the deletion threshold', () => {
  it('is crossed by more removals than it allows, not by as many', async () => {
    const threshold = { kind: 'count', objects: 500 } as const;
    const rows = async () => 0;
    expect(await crossesThreshold(threshold, 500, rows)).toBe(false);
    expect(await crossesThreshold(threshold, 501, rows)).toBe(true);
  });

  it('as a share, counts the replica only when there are removals', async () => {
    let counted = 0;
    const rows = async () => {
      counted += 1;
      return 1000;
    };
    const threshold = { kind: 'share', percent: 5 } as const;
    expect(await crossesThreshold(threshold, 0, rows)).toBe(false);
    expect(counted).toBe(0);
    expect(await crossesThreshold(threshold, 50, rows)).toBe(false);
    expect(await crossesThreshold(threshold, 51, rows)).toBe(true);
  });

  it('parses objects or a percentage, nothing else', () => {
    expect(parseDeletionThreshold('0')).toEqual({ kind: 'count', objects: 0 });
    expect(parseDeletionThreshold('100%')).toEqual({ kind: 'share', percent: 100 });
    for (const text of ['0%', '101%', '-1', '1.5', '5 %', 'lots'])
      expect(parseDeletionThreshold(text)).toBeUndefined();
  });
});
