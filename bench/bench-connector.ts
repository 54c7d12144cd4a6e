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
import { eventSigningSecretName, requestSigningSecretsName } from '../src/lib/core-api/signing-secrets.js';
import { projectRoot } from '../src/lib/project-root.js';
import { signRequest } from '../src/lib/security/webhook-signature.js';
import type { EntityTable } from '../src/lib/storage/entity-table.js';
import { Storage } from '../src/lib/storage/storage-clients.js';
import { tableNames } from '../src/lib/storage/storage-names.js';
import type { TenantPartitionRow } from '../src/lib/tenants/tenant-partition.js';
import { type BenchHost, startHost } from './bench-host.js';

const root = projectRoot(import.meta.url);

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

export interface BenchConnector {
  simulator: Simulator;
  standIn: CoreStandIn;
  storage: Storage;
  tenants: EntityTable<TenantPartitionRow>;
  /** The hosts started, the first the one `call` goes to; the master key of their admin endpoints. */
  hosts: BenchHost[];
  masterKey: string;
  /** A signed call of the core to the connector's API (`path` below `/api`). */
  call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Starts a local Functions host with the example settings, `settings` over them (all share Azurite). */
  startHost(settings?: Record<string, string>): Promise<BenchHost>;
  stop(): Promise<void>;
}

/**
 * What the benchmarks that go through the running connector share: Azurite in its own process, the simulator with
 * the operator's vault and signing secrets, the core's stand-in, and the local Functions host in a process of its
 * own (started once the benchmark has made its tenants).
 */
export async function startBenchConnector(): Promise<BenchConnector> {
  const certificates = await createTestCertificates();
  const dir = mkdtempSync(join(tmpdir(), 'bench-connector-'));
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
  const storage = new Storage(
    { kind: 'connectionString', connectionString },
    new ClientSecretCredential(
      operator.tenantId,
      operator.connectorIdentity.clientId,
      operator.connectorIdentity.clientSecret,
      { authorityHost: simulator.authorityHost, disableInstanceDiscovery: true },
    ),
  );
  const functionKey = randomBytes(24).toString('base64url');
  const masterKey = randomBytes(24).toString('base64url');
  const hosts: BenchHost[] = [];

  return {
    simulator,
    standIn,
    storage,
    tenants: storage.table<TenantPartitionRow>(tableNames.tenants),
    hosts,
    masterKey,
    async startHost(settings = {}) {
      const port = await freePort();
      const example = readLocalSettings(join(root, 'local.settings.example.json'));
      const values: Record<string, string> = {
        ...example.values,
        AzureWebJobsStorage: connectionString,
        AUTHORITY_HOST: simulator.authorityHost,
        GRAPH_ENDPOINT: simulator.graphEndpoint,
        KEY_VAULT_URL: operator.keyVaultUrl,
        AZURE_TENANT_ID: operator.tenantId,
        AZURE_CLIENT_ID: operator.connectorIdentity.clientId,
        AZURE_CLIENT_SECRET: operator.connectorIdentity.clientSecret,
        CORE_WEBHOOK_URL: standIn.eventsUrl,
        PUBLIC_BASE_URL: `http://localhost:${port}`,
        // A benchmark's host writes no telemetry unless it measures it (bench:telemetry).
        LOCAL_TELEMETRY: 'off',
        ...settings,
      };
      const nodeArgs = (values.languageWorkers__node__arguments ?? '').split(/\s+/).filter(Boolean);
      const host = await startHost({ values, caPath, nodeArgs, functionKey, masterKey, port });
      hosts.push(host);
      return host;
    },
    async call(method, path, body) {
      const host = hosts[0];
      if (!host) throw new Error('no host is started');
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
    },
    async stop() {
      await Promise.all(
        hosts.map((host) => {
          const exited = new Promise((resolve) => host.child.once('exit', resolve));
          host.child.kill('SIGTERM');
          return exited;
        }),
      );
      await standIn.stop();
      await simulator.stop();
      azurite.send({ stop: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
