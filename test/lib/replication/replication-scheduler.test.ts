import { describe, expect, it } from 'vitest';
import { notReadyReason, spreadSeconds } from '../../../src/lib/replication/replication-scheduler.js';
import type { TenantRecord } from '../../../src/lib/tenants/tenant-record.js';

describe('the daily spread', () => {
  it('gives a tenant the same spot in the window every day, inside the window', () => {
    const tenant = '6f0b5a3e-2c4d-4e8f-9a1b-3c5d7e9f1a2b';
    expect(spreadSeconds(tenant, 240)).toBe(spreadSeconds(tenant, 240));
    expect(spreadSeconds(tenant, 240)).toBeLessThan(240 * 60);
    expect(spreadSeconds(tenant, 0)).toBe(0);
  });

  it('spreads many tenants over the whole window', () => {
    const spots = Array.from({ length: 2000 }, (_, i) => spreadSeconds(`tenant-${i}`, 240));
    const quarters = [0, 1, 2, 3].map(
      (quarter) => spots.filter((spot) => Math.floor(spot / (60 * 60)) === quarter).length,
    );
    for (const count of quarters) expect(count).toBeGreaterThan(400);
  });

  it('says why a tenant is not replicated', () => {
    const tenant = (changes: Partial<TenantRecord>) =>
      ({ status: 'active', verdict: 'ready', ...changes }) as TenantRecord;
    expect(notReadyReason(tenant({}))).toBeUndefined();
    expect(notReadyReason(tenant({ verdict: 'action_required' }))).toBeUndefined();
    expect(notReadyReason(tenant({ status: 'credentials_invalid' }))).toBe('credentials invalid');
    expect(notReadyReason(tenant({ verdict: 'blocked' }))).toBe('required roles or permissions missing');
  });
});
