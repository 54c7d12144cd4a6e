import { describe, expect, it } from 'vitest';
import { followingPage, phaseNamed, skipOverlap } from '../../../src/lib/replication/replication-phases.js';

const numbers = phaseNamed('numbers');
const page = (length: number) => ({ value: Array.from({ length }, (_, index) => ({ index })) });

describe('followingPage with $skip paging (Direct Routing numbers)', () => {
  it('reaches back over the page boundary, so removals before it while the list is read lose nothing', () => {
    const first =
      "/admin/teams/telephoneNumberManagement/numberAssignments?$filter=numberType eq 'directRouting'&$top=1000";
    const second = followingPage(numbers, first, page(1000), 1000);
    expect(skipOverlap(1000)).toBe(100);
    expect(second).toBe(`${first}&$skip=900`);
    expect(followingPage(numbers, second ?? '', page(1000), 1000)).toBe(`${first}&$skip=1800`);
  });

  it('ends on a page shorter than asked for, and never steps back for small pages', () => {
    expect(followingPage(numbers, '/n?$top=1000&$skip=900', page(999), 1000)).toBeUndefined();
    expect(followingPage(numbers, '/n?$top=5', page(5), 5)).toBe('/n?$top=5&$skip=5');
  });
});
