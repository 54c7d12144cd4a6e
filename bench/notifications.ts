import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { CoreStandIn } from '../local/core-stand-in.js';
import { readLocalSettings } from '../local/host/local-settings.js';
import { createTestCertificates } from '../sim/certificates.js';
import { seedOperator } from '../sim/sample-world.js';
import { Simulator } from '../sim/server.js';
import { generateTenant } from '../sim/tenant/generate-tenant.js';
import { eventSigningSecretName, requestSigningSecretsName } from '../src/lib/core-api/signing-secrets.js';
import { projectRoot } from '../src/lib/project-root.js';
import { signRequest } from '../src/lib/security/webhook-signature.js';
import { Storage } from '../src/lib/storage/storage-clients.js';
import { tableNames } from '../src/lib/storage/storage-names.js';
import type { TenantPartitionRow } from '../src/lib/tenants/tenant-partition.js';
import { startHost } from './bench-host.js';
import { benchTenantRecord, connectInSimulator } from './bench-tenant.js';

/**
 * `npm run bench:notifications`: near-real-time replication for BENCH_NRT_TENANTS tenants (20) through the real
 * local Functions host: each turned on through the API, then for BENCH_NRT_SECONDS (60) a user of a tenant chosen at
 * random is renamed at random moments (BENCH_NRT_CHANGES, 40, in all), Graph answering after BENCH_GRAPH_LATENCY_MS
 * (250 ms). Measures, for each change, the time from the simulator's change to its entry in the tenant's change
 * feed (the core's view), and how long the connector took to answer each of Graph's notification POSTs. The floor,
 * measured in the same run: the quiet period plus the median on-demand run of one of these tenants with one change.
 * Prints JSON lines, then a table.
 */
const root = projectRoot(import.meta.url);
const tenantCount = Number(process.env.BENCH_NRT_TENANTS ?? 20);
const seconds = Number(process.env.BENCH_NRT_SECONDS ?? 60);
const changeCount = Number(process.env.BENCH_NRT_CHANGES ?? 40);
const latencyMs = Number(process.env.BENCH_GRAPH_LATENCY_MS ?? 250);
const quietSeconds = 30;
const functionKey = randomBytes(24).toString('base64url');
const masterKey = randomBytes(24).toString('base64url');

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

async function main() {
  const certificates = await createTestCertificates();
  const dir = mkdtempSync(join(tmpdir(), 'bench-nrt-'));
  const caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, certificates.caCert);
  const azurite = fork(join(root, 'dist', 'bench', 'azurite-process.js'));
  const connectionString = await new Promise<string>((resolve, reject) => {
    azurite.once('message', (message: { ready: string }) => resolve(message.ready));
    azurite.once('exit', (code) => reject(new Error(`Azurite exited (${code})`)));
  });
  const simulator = await Simulator.start({ certificates });
  const operator = await seedOperator(simulator);
  const vault = simulator.vaults.get('connector')?.vault;
  const requestSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const eventSecret = `whsec_${randomBytes(32).toString('base64')}`;
  vault?.put(requestSigningSecretsName, { value: requestSecret });
  vault?.put(eventSigningSecretName, { value: eventSecret });
  const standIn = await CoreStandIn.start({ signingSecret: eventSecret });
  simulator.control.setGraphConfig({ latencyMs, subscriptionHttpUrls: true });

  const storage = new Storage(
    { kind: 'connectionString', connectionString },
    new ClientSecretCredential(
      operator.tenantId,
      operator.connectorIdentity.clientId,
      operator.connectorIdentity.clientSecret,
      { authorityHost: simulator.authorityHost, disableInstanceDiscovery: true },
    ),
  );
  const tenantsTable = storage.table<TenantPartitionRow>(tableNames.tenants);
  const tenants: { id: string; users: string[] }[] = [];
  const at = new Date().toISOString();
  for (let index = 0; index < tenantCount; index += 1) {
    const tenant = generateTenant(simulator.directory, {
      displayName: `Notified ${index}`,
      domain: `notified${index}.onmicrosoft.com`,
      seed: 2000 + index,
      sizes: { users: 50, groups: 5, membershipsPerUser: 2 },
    });
    const clientId = connectInSimulator(simulator, tenant.id, [
      'User.Read.All',
      'Group.Read.All',
      'TeamsUserConfiguration.Read.All',
      'TeamsTelephoneNumber.Read.All',
    ]);
    await tenantsTable.transaction(tenant.id).upsert(benchTenantRecord(clientId, at)).commit();
    tenants.push({ id: tenant.id, users: [...tenant.users.keys()] });
  }

  const port = await freePort();
  const settings = readLocalSettings(join(root, 'local.settings.example.json'));
  const values: Record<string, string> = {
    ...settings.values,
    AzureWebJobsStorage: connectionString,
    AUTHORITY_HOST: simulator.authorityHost,
    GRAPH_ENDPOINT: simulator.graphEndpoint,
    KEY_VAULT_URL: operator.keyVaultUrl,
    AZURE_TENANT_ID: operator.tenantId,
    AZURE_CLIENT_ID: operator.connectorIdentity.clientId,
    AZURE_CLIENT_SECRET: operator.connectorIdentity.clientSecret,
    CORE_WEBHOOK_URL: standIn.eventsUrl,
    PUBLIC_BASE_URL: `http://localhost:${port}`,
    NEAR_REAL_TIME_QUIET_SECONDS: String(quietSeconds),
  };
  const nodeArgs = (values.languageWorkers__node__arguments ?? '').split(/\s+/).filter(Boolean);
  const host = await startHost({ values, caPath, nodeArgs, functionKey, masterKey, port });

  const call = async (method: string, path: string, body?: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const answer = await fetch(`${host.url}/api${path}`, {
      method,
      headers: {
        'x-functions-key': functionKey,
        ...(text ? { 'content-type': 'application/json' } : {}),
        ...signRequest(requestSecret, randomUUID(), text),
      },
      ...(text ? { body: text } : {}),
    });
    return {
      status: answer.status,
      body: ((await answer.json().catch(() => undefined)) ?? {}) as Record<string, unknown>,
    };
  };
  const runEnds = async (tenantId: string, runId: string) => {
    for (;;) {
      const { body } = await call('GET', `/tenants/${tenantId}/replication-runs`);
      const run = (
        body.value as { runId: string; status: string; startedAt?: string; finishedAt?: string }[]
      ).find((candidate) => candidate.runId === runId);
      if (run && ['completed', 'failed'].includes(run.status)) return run;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  /** The tenant's feed from `cursor` to its end. */
  const feed = async (tenantId: string, cursor: string | undefined) => {
    const changes: { data?: { displayName?: string } }[] = [];
    let at = cursor;
    for (;;) {
      const { body } = await call('GET', `/tenants/${tenantId}/changes${at ? `?cursor=${at}` : ''}`);
      const value = body.value as typeof changes;
      if (value.length === 0) return { changes, cursor: body.cursor as string | undefined };
      changes.push(...value);
      at = body.cursor as string;
    }
  };

  // Each tenant's first run, then one with one change (the floor's run), then near-real-time on.
  const cursors = new Map<string, string | undefined>();
  const runMs: number[] = [];
  for (const tenant of tenants) {
    const first = await call('POST', `/tenants/${tenant.id}/replicate`);
    await runEnds(tenant.id, String(first.body.runId));
    simulator.control.updateUser(tenant.id, tenant.users[0] as string, { displayName: 'Floor Change' });
    const second = await call('POST', `/tenants/${tenant.id}/replicate`);
    const run = await runEnds(tenant.id, String(second.body.runId));
    runMs.push(Date.parse(String(run.finishedAt)) - Date.parse(String(run.startedAt)));
    cursors.set(tenant.id, (await feed(tenant.id, undefined)).cursor);
    const on = await call('PUT', `/tenants/${tenant.id}/near-real-time`, { enabled: true });
    if (on.status !== 200)
      throw new Error(`near-real-time for ${tenant.id}: ${on.status} ${JSON.stringify(on.body)}`);
  }
  const floorMs = quietSeconds * 1000 + percentile(runMs, 50);

  // Changes at random moments; each tenant's feed watched for them.
  const made = new Map<string, { tenantId: string; at: number; seenAt?: number }>();
  const deliveriesBefore = simulator.graph.subscriptions.deliveries.length;
  const started = Date.now();
  const moments = Array.from({ length: changeCount }, () => Math.random() * seconds * 1000).sort(
    (a, b) => a - b,
  );
  const changing = (async () => {
    for (const [index, moment] of moments.entries()) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + moment - Date.now())));
      const tenant = tenants[Math.floor(Math.random() * tenants.length)] as (typeof tenants)[number];
      const name = `Bench Change ${index}`;
      simulator.control.updateUser(
        tenant.id,
        tenant.users[1 + (index % (tenant.users.length - 1))] as string,
        {
          displayName: name,
        },
      );
      made.set(name, { tenantId: tenant.id, at: Date.now() });
    }
  })();
  const deadline = started + seconds * 1000 + 240_000;
  while (Date.now() < deadline) {
    for (const tenant of tenants) {
      const { changes, cursor } = await feed(tenant.id, cursors.get(tenant.id));
      cursors.set(tenant.id, cursor);
      for (const change of changes) {
        const entry = made.get(change.data?.displayName ?? '');
        if (entry && !entry.seenAt) entry.seenAt = Date.now();
      }
    }
    if (made.size === changeCount && [...made.values()].every((entry) => entry.seenAt)) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await changing;

  const latencies = [...made.values()].flatMap((entry) => (entry.seenAt ? [entry.seenAt - entry.at] : []));
  const deliveries = simulator.graph.subscriptions.deliveries.slice(deliveriesBefore);
  const answered = deliveries.filter((delivery) => delivery.status >= 200 && delivery.status < 300);
  const lines = [
    { figure: 'floor: quiet period + median one-change run', ms: floorMs },
    {
      figure: 'change to feed, median',
      ms: percentile(latencies, 50),
      ratioToFloor: percentile(latencies, 50) / floorMs,
    },
    {
      figure: 'change to feed, p95',
      ms: percentile(latencies, 95),
      ratioToFloor: percentile(latencies, 95) / floorMs,
    },
    { figure: 'changes seen in the feed', count: latencies.length, of: made.size },
    {
      figure: 'notification POSTs answered 2xx within 3 s',
      share: deliveries.length
        ? answered.filter((delivery) => delivery.ms < 3000).length / deliveries.length
        : 1,
      of: deliveries.length,
      slowestMs: Math.max(0, ...deliveries.map((delivery) => delivery.ms)),
    },
  ];
  for (const line of lines) console.log(JSON.stringify(line));
  console.log(
    `\n${tenantCount} tenants, ${made.size} changes over ${seconds} s, Graph latency ${latencyMs} ms\n`,
  );
  for (const line of lines) {
    const figure =
      'ms' in line
        ? `${(Number(line.ms) / 1000).toFixed(1)} s`
        : JSON.stringify({ ...line, figure: undefined });
    const ratio = 'ratioToFloor' in line ? `  ${Number(line.ratioToFloor).toFixed(2)}x floor` : '';
    console.log(`${line.figure.padEnd(48)} ${figure}${ratio}`);
  }

  const exited = new Promise((resolve) => host.child.once('exit', resolve));
  host.child.kill('SIGTERM');
  await exited;
  await standIn.stop();
  await simulator.stop();
  azurite.send({ stop: true });
  rmSync(dir, { recursive: true, force: true });
}

await main();
