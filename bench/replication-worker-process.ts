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
import { ReplicationScheduler } from '../src/lib/replication/replication-scheduler.js';
import { ReplicationWorker } from '../src/lib/replication/replication-worker.js';
import { TenantSecretStore } from '../src/lib/secrets/tenant-secret-store.js';
import { Storage } from '../src/lib/storage/storage-clients.js';
import type { TenantRecord } from '../src/lib/tenants/tenant-record.js';
import { TenantRegistry } from '../src/lib/tenants/tenant-registry.js';

/**
 * The measured process: one scenario of the replication benchmark (a full sync, an incremental sync, or one of the
 * floors), against the services process. Reports its figures, with its own peak RSS, over IPC.
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

type Scenario = 'full' | 'incremental' | 'fetch-only' | 'store-only';

process.once(
  'message',
  async ({ services, scenario, storeRows }: { services: Ready; scenario: Scenario; storeRows?: number }) => {
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
        const at = new Date().toISOString();
        await tenants.upsertMany([
          {
            partitionKey: services.tenantId,
            rowKey: 'tenant',
            status: 'active',
            invitationId: 'bench',
            method: 'manual',
            clientId: '',
            servicePrincipalId: '',
            customer: '{}',
            services: JSON.stringify([{ id: 'dr-1', name: 'Bench' }]),
            licenceType: 'HostedPro',
            automaticDns: false,
            dnsWorkPending: false,
            verdict: 'ready',
            createdAt: at,
            updatedAt: at,
            statusChangedAt: at,
          },
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

    if (scenario === 'fetch-only') {
      const token = (
        await tokens.token({
          tenantId: services.tenantId,
          clientId: (await secrets.get(services.tenantId, 'dr-1'))?.clientId ?? '',
          secret: (await secrets.get(services.tenantId, 'dr-1'))?.secret ?? '',
        })
      ).accessToken;
      const graph = new GraphClient({ endpoint: services.graphEndpoint });
      let pages = 0;
      let objects = 0;
      for (const first of [
        '/users/delta?$select=displayName,userPrincipalName,mail,accountEnabled,usageLocation',
        '/groups/delta?$select=displayName,mail,members',
        '/admin/teams/userConfigurations',
        "/admin/teams/telephoneNumberManagement/numberAssignments?$filter=numberType eq 'directRouting'",
      ]) {
        let next: string | undefined = first;
        while (next) {
          const page: { value: { 'members@delta'?: unknown[] }[]; '@odata.nextLink'?: string } =
            await graph.get(token, next);
          pages += 1;
          for (const entry of page.value) objects += 1 + (entry['members@delta']?.length ?? 0);
          next = page['@odata.nextLink'];
        }
      }
      figures = { pages, requests: pages, objects };
    }

    if (scenario === 'store-only') {
      // As many rows as the full sync wrote, in the replica's partitions, in full 100-operation transactions
      // (as many at once as the writer runs); and as many changes in the feed, in flushes of the writer's size.
      const table = storage.table<Record<string, unknown>>('StoreFloor');
      const rows = storeRows ?? 0;
      const fields = (i: number) => ({
        displayName: `Floor Person ${i}`,
        userPrincipalName: `floor${i}@bench.onmicrosoft.com`,
        mail: `floor${i}@bench.onmicrosoft.com`,
        accountEnabled: true,
        usageLocation: 'GB',
      });
      const byPartition = new Map<string, Record<string, unknown>[]>();
      let full: { partition: string; batch: Record<string, unknown>[] }[] = [];
      let transactions = 0;
      const commitAll = async () => {
        await pMap(
          full,
          async ({ partition, batch }) => {
            const transaction = table.transaction(partition);
            for (const row of batch) transaction.insert(row as { rowKey: string });
            await transaction.commit();
          },
          { concurrency: transactionConcurrency },
        );
        transactions += full.length;
        full = [];
      };
      for (let i = 0; i < rows; i += 1) {
        const rowKey = `user|${String(i).padStart(8, '0')}-floor`;
        const partition = replicaPartition(services.tenantId, rowKey);
        const batch = byPartition.get(partition) ?? [];
        batch.push({ rowKey, ...fields(i), hash: 'x'.repeat(22), gen: '1' });
        byPartition.set(partition, batch);
        if (batch.length === 100) {
          full.push({ partition, batch });
          byPartition.delete(partition);
          if (full.length === transactionConcurrency) await commitAll();
        }
      }
      full.push(...[...byPartition].map(([partition, batch]) => ({ partition, batch })));
      await commitAll();
      const feed = new ChangeFeed(storage.table('StoreFloorChanges'));
      const at = new Date().toISOString();
      let base = nextFeedBase();
      for (let start = 0; start < rows; start += writesPerFlush) {
        const appended = await feed.append(
          services.tenantId,
          base,
          Array.from({ length: Math.min(writesPerFlush, rows - start) }, (_, n) => ({
            kind: 'user' as const,
            id: `${String(start + n).padStart(8, '0')}-floor`,
            op: 'upsert' as const,
            at,
            data: fields(start + n),
          })),
        );
        transactions += appended.transactions;
        base = nextFeedBase(base);
      }
      figures = { rows, transactions };
    }

    process.send?.({
      ...figures,
      wallMs: Math.round(performance.now() - started),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    });
    process.exit(0);
  },
);
