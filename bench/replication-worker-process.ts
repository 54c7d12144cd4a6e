import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { Outbox } from '../src/lib/events/outbox.js';
import { GraphClient } from '../src/lib/graph/graph-client.js';
import { AppTokenProvider } from '../src/lib/identity/app-token-provider.js';
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
      const replica = new ReplicaStore(storage.table('Replica'));
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
        resourceBudget: Number.MAX_SAFE_INTEGER,
        log: () => undefined,
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
        await tokens.token(
          services.tenantId,
          (await secrets.get(services.tenantId, 'dr-1'))?.clientId ?? '',
          (await secrets.get(services.tenantId, 'dr-1'))?.secret ?? '',
        )
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
      // The same number of rows the full sync wrote, in full 100-operation transactions.
      const table = storage.table<Record<string, unknown>>('StoreFloor');
      const rows = storeRows ?? 0;
      let transactions = 0;
      for (let start = 0; start < rows; start += 100) {
        const transaction = table.transaction('floor');
        for (let i = start; i < Math.min(start + 100, rows); i += 1)
          transaction.insert({
            rowKey: `row|${String(i).padStart(8, '0')}`,
            displayName: 'Floor Person',
            userPrincipalName: `floor${i}@bench.onmicrosoft.com`,
            hash: 'x'.repeat(22),
            gen: 1,
          });
        await transaction.commit();
        transactions += 1;
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
