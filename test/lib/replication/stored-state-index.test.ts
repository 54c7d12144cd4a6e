import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../../src/lib/replication/replica-rows.js';
import { fingerprintBits, StoredStateIndex } from '../../../src/lib/replication/stored-state-index.js';

describe('the stored state of a kind, read at once for a full enumeration', () => {
  it('finds every row added (past its first growth), with its fingerprint and whether this generation stamped it', () => {
    const index = new StoredStateIndex('42');
    const rows = Array.from({ length: 3_000 }, (_, i) => ({
      rowKey: `user|${i.toString(16).padStart(8, '0')}-0000`,
      hash: fingerprint({ displayName: `User ${i}` }),
      gen: i % 3 === 0 ? '42' : i % 3 === 1 ? '41' : undefined,
    }));
    for (const row of rows.slice(0, 1_500)) index.add(row.rowKey, row.hash, row.gen);
    expect(index.get(rows[10]?.rowKey ?? '')).toBeDefined();
    // Added after a lookup: found too (the order is made again).
    for (const row of rows.slice(1_500)) index.add(row.rowKey, row.hash, row.gen);
    expect(index.count).toBe(3_000);
    for (const row of rows) {
      const state = index.get(row.rowKey);
      expect(state?.fingerprint).toBe(fingerprintBits(row.hash));
      expect(state?.gen).toBe(row.gen === '42' ? '42' : '');
    }
    expect(index.get('user|not-stored')).toBeUndefined();
    // A membership row has no fingerprint: present all the same.
    index.add('member|g|u', undefined, '0');
    expect(index.get('member|g|u')).toEqual({ fingerprint: 0n, gen: '' });
  });

  it('tells a changed row by its fingerprint’s 64 bits', () => {
    const before = fingerprint({ displayName: 'Before' });
    const after = fingerprint({ displayName: 'After' });
    expect(fingerprintBits(before)).not.toBe(fingerprintBits(after));
    expect(fingerprintBits(before)).toBe(fingerprintBits(fingerprint({ displayName: 'Before' })));
  });
});
