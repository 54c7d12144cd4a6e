import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { inject } from 'vitest';
import { type RunningAzurite, startAzurite } from '../../local/azurite.js';
import { CoreStandIn } from '../../local/core-stand-in.js';
import { hostConfigFrom } from '../../local/host/host-config.js';
import { type RunningHost, startLocalHost } from '../../local/host/local-host.js';
import { type SampleWorld, seedSampleWorld } from '../../sim/sample-world.js';
import { Simulator } from '../../sim/server.js';
import { eventSigningSecretName, requestSigningSecretsName } from '../../src/lib/core-api/signing-secrets.js';
import { registeredFunctions } from '../../src/lib/hosting/function-registry.js';
import { provisioningSecretName } from '../../src/lib/onboarding/automatic/provisioning-sign-in.js';
import { signInRedirectUri } from '../../src/lib/onboarding/onboarding-urls.js';
import { signRequest } from '../../src/lib/security/webhook-signature.js';
import { HostProcess } from './host-process.js';
import { StorageProxy } from './storage-proxy.js';

export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
export const functionKey = 'fixture-function-key';
export const masterKey = 'fixture-master-key';

/** A free loopback port, so the public base URL (for redirects) can be known before the host starts. */
/**
 * A free port, held until `release` so that nothing else (Azurite, the simulator, another test file) is given it
 * while the connector starts up to listen there.
 */
function reservePort(): Promise<{ port: number; release: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const release = () =>
        new Promise<void>((closed) => (server.listening ? server.close(() => closed()) : closed()));
      resolve({ port, release });
    });
  });
}

/** The host as `npm start` runs it (a process of its own), with a storage proxy that can kill it (crash tests). */
export interface HostProcessOptions {
  /** How long a dequeued message stays invisible between renewals (the local host's LocalHost setting). */
  queueMessageLeaseSeconds: number;
}

export interface CallOptions {
  body?: string | object;
  secret?: string;
  id?: string;
  timestamp?: Date;
  /** Replaces or removes (undefined) headers after signing. */
  headers?: Record<string, string | undefined>;
  key?: string | null;
}

/**
 * The connector as it runs, in this test process: its own Azurite, the Microsoft 365 simulator with the sample
 * world and the signing secrets in the connector's vault, the stand-in core, and the local host serving every
 * function file of src/functions. Settings reach the app as environment variables, as in Azure.
 */
export class ConnectorFixture {
  readonly requestSecrets = [newWebhookSecret(), newWebhookSecret()];
  readonly eventSecret = newWebhookSecret();
  readonly logs: string[] = [];
  publicBaseUrl = '';
  simulator!: Simulator;
  world!: SampleWorld;
  standIn!: CoreStandIn;
  azurite!: RunningAzurite;
  host!: Pick<RunningHost, 'url' | 'stop'>;
  /** With a host process: the process, and the proxy its table requests go through. */
  hostProcess?: HostProcess;
  storageProxy?: StorageProxy;

  static async start(
    values: Record<string, string> = {},
    hostProcess?: HostProcessOptions,
  ): Promise<ConnectorFixture> {
    const fixture = new ConnectorFixture();
    await fixture.boot(values, hostProcess);
    return fixture;
  }

  private async boot(values: Record<string, string>, hostProcess?: HostProcessOptions) {
    const reserved = await reservePort();
    const port = reserved.port;
    this.publicBaseUrl = `http://localhost:${port}`;
    this.azurite = await startAzurite();
    this.simulator = await Simulator.start({ certificates: inject('certificates') });
    // As in Entra, a new service principal is unknown for a moment to writes that refer to it.
    // …and Graph sends change notifications to this machine's http URL, as it would to an https one.
    this.simulator.control.setGraphConfig({ directoryReplicationMs: 500, subscriptionHttpUrls: true });
    this.world = await seedSampleWorld(this.simulator, [signInRedirectUri(this.publicBaseUrl)]);
    const vault = this.simulator.vaults.get('connector')?.vault;
    vault?.put(requestSigningSecretsName, { value: this.requestSecrets.join(' ') });
    vault?.put(eventSigningSecretName, { value: this.eventSecret });
    vault?.put(provisioningSecretName, { value: this.world.provisioningApp.clientSecret });
    this.standIn = await CoreStandIn.start({ signingSecret: this.eventSecret });
    const settings = {
      AzureWebJobsStorage: this.azurite.connectionString,
      AUTHORITY_HOST: this.simulator.authorityHost,
      GRAPH_ENDPOINT: this.simulator.graphEndpoint,
      KEY_VAULT_URL: this.world.keyVaultUrl,
      PUBLIC_BASE_URL: this.publicBaseUrl,
      PROVISIONING_CLIENT_ID: this.world.provisioningApp.clientId,
      AZURE_TENANT_ID: this.world.tenantId,
      AZURE_CLIENT_ID: this.world.connectorIdentity.clientId,
      AZURE_CLIENT_SECRET: this.world.connectorIdentity.clientSecret,
      CORE_WEBHOOK_URL: this.standIn.eventsUrl,
      SECRET_CACHE_SECONDS: '0',
      REPLICATION_SCHEDULE: '0 0 2 * * *',
      CREDENTIAL_CHECK_SCHEDULE: '0 0 6 * * *',
      ...values,
    };
    Object.assign(process.env, settings);
    if (hostProcess) {
      await reserved.release();
      await this.startHostProcess(settings, port, hostProcess);
      return;
    }
    const dir = join(import.meta.dirname, '..', '..', 'src', 'functions');
    for (const file of readdirSync(dir)
      .filter((name) => name.endsWith('.ts'))
      .sort())
      await import(join(dir, file));
    await reserved.release();
    this.host = await startLocalHost({
      definitions: registeredFunctions(),
      hostConfig: hostConfigFrom({
        functionTimeout: '00:00:30',
        extensions: {
          queues: { maxPollingInterval: '00:00:00.1', visibilityTimeout: '00:00:00', maxDequeueCount: 3 },
        },
      }),
      settings: { values: settings, port: 0, functionKey, masterKey },
      listen: { port },
      log: (level, message) => this.logs.push(`${level}: ${message}`),
    });
  }

  private async startHostProcess(
    settings: Record<string, string>,
    port: number,
    options: HostProcessOptions,
  ) {
    const proxy = await StorageProxy.start(this.azurite.tableEndpoint);
    this.storageProxy = proxy;
    const storage = this.azurite.connectionString.replace(
      /TableEndpoint=[^;]+;/,
      `TableEndpoint=${proxy.endpoint};`,
    );
    const process = new HostProcess({
      values: { ...settings, AzureWebJobsStorage: storage },
      port,
      functionKey,
      masterKey,
      queueMessageLeaseSeconds: options.queueMessageLeaseSeconds,
    });
    this.hostProcess = process;
    proxy.kill = () => process.kill();
    await process.start();
    this.host = { url: process.url, stop: () => process.stop() };
  }

  /** Starts the host process again after it was killed, on the same port. */
  async restartHost(): Promise<void> {
    if (!this.hostProcess || !this.storageProxy) throw new Error('The fixture runs no host process.');
    await this.hostProcess.gone();
    this.storageProxy.revive();
    await this.hostProcess.start();
  }

  /** Calls a core-facing endpoint signed as the core does (or, through the options, as an attacker might). */
  async call(method: string, path: string, options: CallOptions = {}) {
    const body =
      options.body === undefined
        ? ''
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body);
    const signed = signRequest(
      options.secret ?? (this.requestSecrets[0] as string),
      options.id ?? `msg_${randomUUID()}`,
      body,
      options.timestamp,
    );
    const headers: Record<string, string> = { 'content-type': 'application/json', ...signed };
    if (options.key !== null) headers['x-functions-key'] = options.key ?? functionKey;
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value === undefined) delete headers[name];
      else headers[name] = value;
    }
    const response = await fetch(`${this.host.url}/api${path}`, {
      method,
      headers,
      body: body === '' ? undefined : body,
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? JSON.parse(text) : undefined,
      signed,
    };
  }

  /** Every row of a table, as stored (for asserting what was and was not written); none when it does not exist. */
  async rows(table: string): Promise<Record<string, unknown>[]> {
    const client = TableClient.fromConnectionString(this.azurite.connectionString, table, {
      allowInsecureConnection: true,
    });
    const rows: Record<string, unknown>[] = [];
    try {
      for await (const row of client.listEntities()) rows.push(row);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return [];
      throw error;
    }
    return rows;
  }

  /** How many rows a table holds now (0 when it does not exist). */
  async count(table: string): Promise<number> {
    const client = TableClient.fromConnectionString(this.azurite.connectionString, table, {
      allowInsecureConnection: true,
    });
    let rows = 0;
    try {
      for await (const _ of client.listEntities()) rows += 1;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return 0;
      throw error;
    }
    return rows;
  }

  async stop(): Promise<void> {
    await this.host?.stop();
    await this.storageProxy?.stop();
    await this.standIn?.stop();
    await this.simulator?.stop();
    await this.azurite?.stop();
  }
}
