import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { problemCodes } from '../../src/lib/core-api/problem-table.js';
import { tenantRowPrefixes, tenantRows, tenantWorkRows } from '../../src/lib/tenants/tenant-partition.js';

const lib = join(import.meta.dirname, '..', '..', 'src', 'lib');
const sources = (readdirSync(lib, { recursive: true }) as string[])
  .filter((name) => name.endsWith('.ts'))
  .map((name) => ({ path: relative(lib, join(lib, name)), text: readFileSync(join(lib, name), 'utf8') }));

/** Error codes that never reach an API caller as a problem document, and why. */
const notProblems: Record<string, string> = {
  service_link_unavailable: 'a page for the customer’s admin',
  role_guidance_unavailable: 'a page for the customer’s admin',
  offboarding_page_unavailable: 'a page for the customer’s admin',
  replication_lease_lost: 'a run that lost its lease stops; the holder carries on',
  graph_request_failed: 'a Graph fault: it passes (a workflow waits) or is ours (500)',
  etag_mismatch: 'a storage race: read again and retried, else a failure of ours (500)',
  entity_exists: 'a storage race: read again and retried, else a failure of ours (500)',
  invalid_table_key: 'a key the connector built wrong: a failure of ours (500)',
  invalid_settings: 'the app does not start; the health check says why',
};

describe('the registries a new feature must not forget', () => {
  const codes = sources.flatMap(({ path, text }) =>
    [...text.matchAll(/readonly code = '([a-z_]+)'/g)].map((match) => ({ path, code: match[1] ?? '' })),
  );

  it('finds the error codes (the scan works)', () => {
    expect(codes.length).toBeGreaterThan(30);
  });

  it('every error code is in the problem table, or named here as one that never reaches an API caller', () => {
    const unlisted = codes.filter(({ code }) => !problemCodes.has(code) && !(code in notProblems));
    expect(unlisted).toEqual([]);
  });

  it('every error code has one owner', () => {
    const owners = new Map<string, string[]>();
    for (const { path, code } of codes) owners.set(code, [...(owners.get(code) ?? []), path]);
    expect([...owners].filter(([, paths]) => paths.length > 1)).toEqual([]);
  });

  it('every row kind of a tenant’s partition is deleted by offboarding, or kept for a reason named here', () => {
    /** Rows an offboarded tenant keeps: the tombstone, its offboarding's record, events not yet delivered, leases. */
    const kept = new Set([
      'tenant',
      'event|',
      'dispatch-lease',
      'replication-lease',
      'rotation-lease|',
      'site-lease|',
      'service-lease|',
      'offboarding',
      'offboarding-lease',
      'near-real-time-lease',
      'telephony-lease|',
    ]);
    const deleted = [...tenantWorkRows.exact, ...tenantWorkRows.prefixes];
    const kinds = Object.values(tenantRows).map((key) => {
      const sample =
        typeof key === 'function' ? (key as (...args: unknown[]) => string)('listed', 'x', 'x', 1) : key;
      return sample.includes('|') ? `${sample.split('|')[0]}|` : sample;
    });
    expect(kinds.length).toBeGreaterThan(15);
    const forgotten = kinds.filter(
      (kind) => !kept.has(kind) && !deleted.some((rule) => rule === kind || kind.startsWith(rule)),
    );
    expect(forgotten).toEqual([]);
    expect(Object.values(tenantRowPrefixes).length).toBeGreaterThan(5);
  });
});
