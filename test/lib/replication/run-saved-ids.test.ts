import { describe, expect, it } from 'vitest';
import { chunkIds, RunSavedIds } from '../../../src/lib/replication/run-saved-ids.js';
import type { TenantTable } from '../../../src/lib/tenants/tenant-partition.js';

describe('saved ids, chunked into string properties', () => {
  it('keeps every id, in order, each chunk within the limit', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `+4420${String(i).padStart(7, '0')}`);
    const chunks = chunkIds(ids, 1000);
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(1000);
    expect(chunks.join('\n').split('\n')).toEqual(ids);
  });

  it('makes one chunk when everything fits, none for no ids', () => {
    expect(chunkIds(['a', 'b'])).toEqual(['a\nb']);
    expect(chunkIds([])).toEqual([]);
  });

  it('never leaves an empty chunk, even for an id longer than the limit', () => {
    expect(chunkIds(['x'.repeat(20), 'y'], 10)).toEqual(['x'.repeat(20), 'y']);
  });

  it('is due for a checkpoint by what waits here and what still waits elsewhere (marks in the planner), so no row outgrows an entity', () => {
    const ids = new RunSavedIds({} as TenantTable, 'tenant', 'run', 'seen');
    ids.add(Array.from({ length: 1_000 }, (_, i) => `mark${String(i).padStart(7, '0')}`));
    expect(ids.due()).toBe(false);
    expect(ids.due(150_000)).toBe(false);
    expect(ids.due(190_000)).toBe(true);
  });
});
