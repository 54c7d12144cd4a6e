import { describe, expect, it } from 'vitest';
import { tableFilter } from '../../../src/lib/storage/table-filters.js';

describe('table filters', () => {
  it('quotes values and doubles the quotes inside them', () => {
    expect(tableFilter.partition("o'brien")).toBe("PartitionKey eq 'o''brien'");
    expect(tableFilter.property('status', 'eq', "it's")).toBe("status eq 'it''s'");
  });

  it('compares keys as stored: escaped', () => {
    expect(tableFilter.rowKey('a/b')).toBe("RowKey eq 'a%2Fb'");
  });

  it('selects a prefix as the range up to the key just past it', () => {
    expect(tableFilter.rowKeysStartingWith('run|')).toBe("RowKey ge 'run|' and RowKey lt 'run}'");
    expect(tableFilter.partitionsStartingWith('t|')).toBe("PartitionKey ge 't|' and PartitionKey lt 't}'");
  });

  it('joins clauses, leaving out missing ones', () => {
    expect(tableFilter.and('a', undefined, 'b')).toBe('a and b');
  });

  it('refuses a property name that is not one', () => {
    expect(() => tableFilter.property('x or 1 eq 1', 'eq', 'y')).toThrow(RangeError);
  });
});
