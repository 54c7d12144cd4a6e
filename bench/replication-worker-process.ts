import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import pMap from 'p-map';
import { Outbox } from '../src/lib/events/outbox.js';
import { GraphClient } from '../src/lib/graph/graph-client.js';
import { AppTokenProvider } from '../src/lib/identity/app-token-provider.js';
import { ChangeFeed, nextFeedBase } from '../src/lib/replication/change-feed.js';
import { transactionConcurrency } from '../src/lib/replication/replica-flush.js';
import { writesPerFlush } from '../src/lib/replication/replica-planner.js';
import { replicaPartition } from '../src/lib/replication/replica-rows.js';
import { ReplicaStore } from '../src/lib/replication/replica-store.js';
import {
  firstListUrl,
  followingPage,
  type Phase,
  phases,
} from '../src/lib/replication/replication-phases.js';
import { ReplicationScheduler } from '../src/lib/replication/replication-scheduler.js';
import { ReplicationWorker } from '../src/lib/replication/replication-worker.js';
import { TenantSecretStore } from '../src/lib/secrets/tenant-secret-store.js';
import { Storage } from '../src/lib/storage/storage-clients.js';
import type { TenantRecord } from '../src/lib/tenants/tenant-record.js';
import { TenantRegistry } from '../src/lib/tenants/tenant-registry.js';
import { benchTenantRecord } from './bench-tenant.js';

/**
 * The measured process: one scenario of the replication benchmark (a full or incremental sync, or a floor: one
 * stream or all of them fetched and parsed, storing nothing; or as many rows and changes stored as a full sync
 * writes, with a given number of transactions in flight), against the services process. Reports its figures,
 * with its own peak RSS, over IPC.
 */
interface Ready {
  connectionString: string;
  authorityHost: string;
  graphEndpoint: string;
  keyVaultUrl: string;
  operatorTenantId: string;
  identity: { clientId: string; clientSecret: string };
  tenantId: string;
}

type Scenario = 'full' | 'incremental' | 'fetch' | 'store-only' | 'state-index';

interface Task {
  services: Ready;
  scenario: Scenario;
  /** `fetch`: the stream to follow alone; every stream side by side when none. */
  stream?: string;
  /** `store-only`: rows to write, and transactions in flight at once. */
  storeRows?: number;
  concurrency?: number;
}

process.once('message', async ({ services, scenario, stream, storeRows, concurrency }: Task) => {
  const settings = {
    authorityHost: services.authorityHost,
    graphEndpoint: services.graphEndpoint,
    customAuthority: true,
  };
  const credential = new ClientSecretCredential(
    services.operatorTenantId,
    services.identity.clientId,
    services.identity.clientSecret,
    { authorityHost: services.authorityHost, disableInstanceDiscovery: true },
  );
  const storage = new Storage(
    { kind: 'connectionString', connectionString: services.connectionString },
    credential,
  );
  const secrets = new TenantSecretStore(
    new SecretClient(services.keyVaultUrl, credential, { disableChallengeResourceVerification: true }),
  );
  const tokens = new AppTokenProvider(settings);
  const tenants = storage.table<Record<string, unknown>>('Tenants');
  const outbox = new Outbox(storage.table('Tenants'), storage.queue('bench-events'));
  const registry = new TenantRegistry(storage.table<TenantRecord>('Tenants'), outbox);
  const started = performance.now();
  let figures: Record<string, number> = {};

  if (scenario === 'full' || scenario === 'incremental') {
    if (scenario === 'full') {
      await tenants.upsertMany([
        { partitionKey: services.tenantId, ...benchTenantRecord('', new Date().toISOString()) },
      ]);
    }
    const replica = new ReplicaStore(
      storage.table('Replica'),
      new ChangeFeed(storage.table('ReplicaChanges')),
    );
    const queue = storage.queue<{ tenantId: string; runId: string }>('bench-replication');
    const worker = new ReplicationWorker({
      tenants,
      replica,
      registry,
      secrets,
      tokens,
      outbox,
      queue,
      graphEndpoint: services.graphEndpoint,
      sliceMs: 3_600_000,
      writesPerFlush: Number(process.env.BENCH_WRITES_PER_FLUSH) || undefined,
      resourceBudget: Number.MAX_SAFE_INTEGER,
    });
    const run = await new ReplicationScheduler(tenants, registry, queue, outbox, 1).createRun(
      services.tenantId,
      'on_demand',
    );
    const outcome = await worker.process({ tenantId: services.tenantId, runId: run.runId });
    const record = (await tenants.get(services.tenantId, `run|${run.runId}`))?.entity as Record<
      string,
      unknown
    >;
    const counts = JSON.parse(String(record.counts)) as Record<string, number>;
    figures = {
      outcome: outcome === 'completed' ? 1 : 0,
      pages: Number(record.pages),
      requests: Number(record.requests),
      transactions: counts.transactions ?? 0,
      writes: Object.entries(counts)
        .filter(([name]) => name !== 'transactions')
        .reduce((sum, [, n]) => sum + n, 0),
    };
  }

  if (scenario === 'fetch') {
    const credential = await secrets.get(services.tenantId, 'dr-1');
    const token = (
      await tokens.token({
        tenantId: services.tenantId,
        clientId: credential?.clientId ?? '',
        secret: credential?.secret ?? '',
      })
    ).accessToken;
    const graph = new GraphClient({ endpoint: services.graphEndpoint });
    let pages = 0;
    let objects = 0;
    // Each stream one page after another, as the worker follows it (the list phases ask for full pages).
    const follow = async (phase: Phase) => {
      let next: string | undefined =
        phase.source === 'list' ? firstListUrl(phase, phase.paging.top) : phase.firstUrl;
      while (next) {
        const page: { value: { 'members@delta'?: unknown[] }[]; '@odata.nextLink'?: string } =
          await graph.get(token, next);
        pages += 1;
        for (const entry of page.value) objects += 1 + (entry['members@delta']?.length ?? 0);
        next = followingPage(phase, next, page, phase.source === 'list' ? phase.paging.top : 0);
      }
    };
    await Promise.all(phases.filter((phase) => !stream || phase.name === stream).map(follow));
    figures = { pages, requests: pages, objects };
  }

  if (scenario === 'state-index') {
    // What a slice that compares a full enumeration pays before its first page (a re-enumeration, or a first sync
    // resumed after a crash): every stored user's and membership's state read at once.
    const replica = new ReplicaStore(
      storage.table('Replica'),
      new ChangeFeed(storage.table('ReplicaChanges')),
    );
    let rows = 0;
    for (const kind of ['user', 'group', 'member'] as const)
      rows += (await replica.stateIndex(services.tenantId, kind, 'bench')).count;
    figures = { rows };
  }

  if (scenario === 'store-only') {
    // As many rows as the full sync wrote, in the replica's partitions, in full 100-operation transactions, and
    // as many changes in the feed in flushes of the writer's size: all of them from one pool that keeps
    // `concurrency` transactions in flight.
    // Tables of its own, empty: each concurrency level writes the same rows afresh.
    const table = storage.table<Record<string, unknown>>(`StoreFloor${concurrency ?? ''}`);
    const feed = new ChangeFeed(storage.table(`StoreFloorChanges${concurrency ?? ''}`));
    const rows = storeRows ?? 0;
    const fields = (i: number) => ({
      displayName: `Floor Person ${i}`,
      userPrincipalName: `floor${i}@bench.onmicrosoft.com`,
      mail: `floor${i}@bench.onmicrosoft.com`,
      accountEnabled: true,
      usageLocation: 'GB',
    });
    const at = new Date().toISOString();
    let base = nextFeedBase();
    function* work(): Generator<() => Promise<number>> {
      const byPartition = new Map<string, Record<string, unknown>[]>();
      const commit = (partition: string, batch: Record<string, unknown>[]) => async () => {
        const transaction = table.transaction(partition);
        for (const row of batch) transaction.insert(row as { rowKey: string });
        await transaction.commit();
        return 1;
      };
      for (let start = 0; start < rows; start += writesPerFlush) {
        const count = Math.min(writesPerFlush, rows - start);
        const flushBase = base;
        base = nextFeedBase(base);
        yield async () =>
          (
            await feed.append(
              services.tenantId,
              flushBase,
              Array.from({ length: count }, (_, n) => ({
                kind: 'user' as const,
                id: `${String(start + n).padStart(8, '0')}-floor`,
                op: 'upsert' as const,
                at,
                data: fields(start + n),
              })),
            )
          ).transactions;
        for (let i = start; i < start + count; i += 1) {
          const rowKey = `user|${String(i).padStart(8, '0')}-floor`;
          const partition = replicaPartition(services.tenantId, rowKey);
          const batch = byPartition.get(partition) ?? [];
          batch.push({ rowKey, ...fields(i), hash: 'x'.repeat(22), gen: '1' });
          byPartition.set(partition, batch);
          if (batch.length === 100) {
            byPartition.delete(partition);
            yield commit(partition, batch);
          }
        }
      }
      for (const [partition, batch] of byPartition) yield commit(partition, batch);
    }
    const spent = await pMap(work(), (task) => task(), {
      concurrency: concurrency ?? transactionConcurrency,
    });
    figures = { rows, transactions: spent.reduce((sum, n) => sum + n, 0), concurrency: concurrency ?? 0 };
  }

  process.send?.({
    ...figures,
    wallMs: Math.round(performance.now() - started),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  });
  process.exit(0);
});
