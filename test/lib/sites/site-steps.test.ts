import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { describe, expect, inject, it } from 'vitest';
import type { DomainEvent } from '../../../src/lib/events/event-catalogue.js';
import type { Outbox } from '../../../src/lib/events/outbox.js';
import { GraphError } from '../../../src/lib/graph/graph-client.js';
import type { AppTokenProvider } from '../../../src/lib/identity/app-token-provider.js';
import type { TenantSecretStore } from '../../../src/lib/secrets/tenant-secret-store.js';
import type { SiteProgress } from '../../../src/lib/sites/site-progress.js';
import type { SiteRoleCheck } from '../../../src/lib/sites/site-roles.js';
import { type SiteDomainClaim, type SiteJob, TenantSites } from '../../../src/lib/sites/tenant-sites.js';
import { EntityTable } from '../../../src/lib/storage/entity-table.js';
import { MessageQueue } from '../../../src/lib/storage/message-queue.js';
import { type TenantTable, tenantRows } from '../../../src/lib/tenants/tenant-partition.js';
import type { TenantRegistry } from '../../../src/lib/tenants/tenant-registry.js';
import { backoffMs } from '../../../src/lib/workflows/backoff.js';
import { type GraphAnswer, ScriptedGraph } from '../../support/scripted-graph.js';

const domain = 'hq.sbc.example.net';

/**
 * The sites' step table on the workflow runner, with Azurite for the rows and the queue, Graph as a script, and
 * the clock in the test's hands: the waits, give-ups and the one fresh token take milliseconds to check.
 */
function sitesWith(script: Record<string, GraphAnswer>) {
  const name = randomUUID().replaceAll('-', '');
  const connection = inject('storageConnectionString');
  const table = new EntityTable(
    TableClient.fromConnectionString(connection, `steps${name}`, { allowInsecureConnection: true }),
  ) as unknown as TenantTable;
  const events: DomainEvent[] = [];
  const outbox = {
    stage: (_transaction: unknown, staged: readonly DomainEvent[]) => {
      events.push(...staged);
      return [];
    },
    kick: async () => undefined,
  } as unknown as Outbox;
  const tokenCalls: boolean[] = [];
  const dnsWork: boolean[] = [];
  const tenantId = randomUUID();
  const tenant = { services: JSON.stringify([{ id: 'dr-london' }]), dnsWorkPending: true, status: 'active' };
  const graph = new ScriptedGraph(script);
  const sites = new TenantSites({
    registry: {
      get: async () => ({ entity: { partitionKey: tenantId, rowKey: 'tenant', ...tenant }, etag: '*' }),
      changeDnsWork: async (_: string, change: { pending: boolean }) => {
        dnsWork.push(change.pending);
      },
    } as unknown as TenantRegistry,
    domainClaims: new EntityTable<SiteDomainClaim>(
      TableClient.fromConnectionString(connection, `claims${name}`, { allowInsecureConnection: true }),
    ),
    tenants: table,
    outbox,
    secrets: {
      get: async () => ({ tenantId, serviceId: 'dr-london', clientId: 'client', secret: 'not-a-real-one' }),
    } as unknown as TenantSecretStore,
    tokens: {
      token: async (_credential: unknown, options: { fresh?: boolean } = {}) => {
        tokenCalls.push(options.fresh ?? false);
        return { accessToken: 'token', expiresOn: new Date(Date.now() + 3_600_000) };
      },
    } as unknown as AppTokenProvider,
    graph,
    queue: new MessageQueue<SiteJob>(new QueueClient(connection, `steps-${name}`)),
    roles: { assertReady: async () => undefined } as unknown as SiteRoleCheck,
    revalidate: async () => undefined,
    sbcBaseDomain: 'sbc.example.net',
    sbcDnsTarget: '203.0.113.10',
    verifyHours: 24,
    activationHours: 24,
  });
  const job = { tenantId, siteId: 'hq' };
  const start = (changes: Partial<SiteProgress>, at: Date) =>
    table.insert({
      partitionKey: tenantId,
      rowKey: tenantRows.site('hq'),
      siteId: 'hq',
      label: 'hq',
      domain,
      usageLocation: 'GB',
      state: 'requested',
      userPrincipalName: `ump-activation-user@${domain}`,
      attempts: 0,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
      ...changes,
    });
  const site = async () => (await table.get(tenantId, tenantRows.site('hq')))?.entity;
  /** Runs the site's message at `now`, then again at each wait's end, until it ends: the waits it asked for. */
  const runToEnd = async (from: Date) => {
    const waits: number[] = [];
    let now = from;
    for (let runs = 0; runs < 20; runs += 1) {
      const result = await sites.runner.work(job, { now });
      if (result.outcome !== 'waiting') return { waits, result };
      waits.push(result.waitMs);
      now = new Date(now.getTime() + result.waitMs);
    }
    throw new Error('the site never ended');
  };
  return { sites, start, site, runToEnd, events, tokenCalls, dnsWork, graph };
}

const lagging = new GraphError(
  400,
  'Request_BadRequest',
  'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
);
const notFound = new GraphError(404, 'Request_ResourceNotFound', 'Resource does not exist.');

describe('the sites’ steps on the workflow runner (Graph scripted, the clock in the test’s hands)', () => {
  it('waits out Entra’s replication by its table of waits, then fails the site once with what Microsoft said', async () => {
    const s = sitesWith({
      [`GET /users/${encodeURIComponent(`ump-activation-user@${domain}`)}`]: notFound,
      'POST /users': lagging,
    });
    const at = new Date('2026-12-07T10:00:00Z');
    await s.start({ state: 'verified' }, at);
    const { waits, result } = await s.runToEnd(at);
    expect(waits).toEqual([2_000, 5_000, 15_000, 30_000, 60_000, 120_000, 240_000, 240_000]);
    expect(result).toEqual({ outcome: 'finished', moved: true });
    expect(await s.site()).toMatchObject({ state: 'failed', failedStep: 'verified' });
    expect((await s.site())?.failure).toContain(
      'The domain portion of the userPrincipalName property is invalid',
    );
    expect(s.events.map((event) => event.type)).toEqual(['site.failed']);
    // No site left at work: automatic DNS has nothing to do now.
    expect(s.dnsWork).toEqual([false]);
  });

  it('waits out Graph failing by the one backoff, and fails the site on the fifth 500 of POST /domains', async () => {
    const s = sitesWith({
      'POST /domains': new GraphError(500, 'InternalServerError', 'An internal server error occurred.'),
    });
    const at = new Date('2026-12-07T10:00:00Z');
    await s.start({}, at);
    const { waits } = await s.runToEnd(at);
    expect(waits).toEqual([1, 2, 3, 4].map((attempts) => backoffMs(attempts)));
    expect(await s.site()).toMatchObject({ state: 'failed', failedStep: 'requested' });
    expect((await s.site())?.failure).toContain('Microsoft failed 5 times to add');
    expect(s.events).toHaveLength(1);
  });

  it('takes one fresh token after a 403 (the cached one may predate the grant), then goes on to awaiting_dns', async () => {
    const s = sitesWith({
      'POST /domains': (call: number) =>
        call === 1
          ? new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges.')
          : { id: domain, isVerified: false },
      [`GET /domains/${encodeURIComponent(domain)}/verificationDnsRecords`]: {
        value: [{ recordType: 'Txt', label: domain, text: 'MS=ms123', ttl: 3600 }],
      },
    });
    const at = new Date('2026-12-07T10:00:00Z');
    await s.start({}, at);
    const first = await s.sites.runner.work(
      { tenantId: (await s.site())?.partitionKey ?? '', siteId: 'hq' },
      { now: at },
    );
    // Moved on to awaiting_dns, whose first verification is due later: this message comes back then.
    expect(first.outcome).toBe('waiting');
    expect(s.tokenCalls).toEqual([false, true, true]);
    expect(await s.site()).toMatchObject({ state: 'awaiting_dns', attempts: 0 });
    expect(s.events.map((event) => event.type)).toEqual(['site.dns_record_required']);
  });

  it('refuses for good on a 403 the fresh token does not mend: the site fails at its step, once', async () => {
    const s = sitesWith({
      'POST /domains': new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges.'),
    });
    const at = new Date('2026-12-07T10:00:00Z');
    await s.start({}, at);
    const { waits } = await s.runToEnd(at);
    expect(waits).toEqual([]);
    expect(s.tokenCalls).toEqual([false, true]);
    expect(await s.site()).toMatchObject({ state: 'failed', failedStep: 'requested' });
    expect(s.events.map((event) => event.type)).toEqual(['site.failed']);
  });

  it('records a poisoned message on the site and takes it up again after the longest backoff', async () => {
    const s = sitesWith({});
    const at = new Date();
    await s.start({ state: 'awaiting_dns', awaitingDnsSince: at.toISOString() }, at);
    const site = await s.site();
    expect(
      await s.sites.runner.poisoned(
        { tenantId: site?.partitionKey ?? '', siteId: 'hq' },
        'failed five times',
      ),
    ).toBe(true);
    const after = await s.site();
    expect(after?.lastError).toBe('site: failed five times');
    expect(Date.parse(after?.nextAttemptAt ?? '')).toBeGreaterThanOrEqual(Date.now() + backoffMs(5) - 5_000);
  });
});
