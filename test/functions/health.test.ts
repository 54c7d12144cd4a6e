import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OperatorSample, seedOperator } from '../../sim/sample-world.js';
import { Simulator } from '../../sim/server.js';
import { health } from '../../src/functions/health.js';
import { parseSettings } from '../../src/lib/config/settings.js';
import { buildDependencies } from '../../src/lib/dependencies.js';
import { checkHealth } from '../../src/lib/health/check-health.js';
import { dependencyProbes } from '../../src/lib/health/dependency-probes.js';

let simulator: Simulator;
let operator: OperatorSample;

const appSettings = (overrides: Record<string, string> = {}) => ({
  AUTHORITY_HOST: simulator.authorityHost,
  KEY_VAULT_URL: operator.keyVaultUrl,
  PUBLIC_BASE_URL: 'http://localhost:7071',
  AzureWebJobsStorage: inject('storageConnectionString'),
  ...overrides,
});

/** The app's environment as the Functions host sets it; DefaultAzureCredential reads AZURE_* from it. */
function useEnvironment(values: Record<string, string>): void {
  Object.assign(process.env, values);
}

const accountKeyOf = (connectionString: string) => /AccountKey=([^;]+)/.exec(connectionString)?.[1] ?? '';

beforeAll(async () => {
  simulator = await Simulator.start({ certificates: inject('certificates') });
  operator = await seedOperator(simulator);
  useEnvironment({
    ...appSettings(),
    AZURE_TENANT_ID: operator.tenantId,
    AZURE_CLIENT_ID: operator.connectorIdentity.clientId,
    AZURE_CLIENT_SECRET: operator.connectorIdentity.clientSecret,
  });
});

afterAll(async () => {
  await simulator?.stop();
});

describe('GET /api/health', () => {
  it('answers 200 with the version when Table Storage, Queues and Key Vault all answer', async () => {
    const response = await health(
      new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/health' }),
      new InvocationContext({ functionName: 'health' }),
    );
    expect(response.status).toBe(200);
    expect(response.headers).toEqual({ 'Cache-Control': 'no-store' });
    expect(response.jsonBody).toMatchObject({
      status: 'healthy',
      version: '0.1.0',
      checks: {
        tableStorage: { reachable: true },
        queueStorage: { reachable: true },
        keyVault: { reachable: true },
      },
    });
  });
});

describe('health probes', () => {
  const probe = (overrides: Record<string, string>) =>
    checkHealth(dependencyProbes(buildDependencies(parseSettings(appSettings(overrides)))), 'test', 1000);

  it('reports a Key Vault that does not answer in time (the SDK keeps retrying) without touching the other checks', async () => {
    const report = await probe({ KEY_VAULT_URL: 'https://127.0.0.1:1' });
    expect(report.status).toBe('unhealthy');
    expect(report.checks.keyVault).toMatchObject({ reachable: false, problem: 'timeout' });
    expect(report.checks.keyVault?.durationMs).toBeGreaterThanOrEqual(990);
    expect(report.checks.tableStorage?.reachable).toBe(true);
  });

  it('reports storage that does not answer', async () => {
    const connection = inject('storageConnectionString')
      .replace(/TableEndpoint=[^;]+/, 'TableEndpoint=http://127.0.0.1:1/devstoreaccount1')
      .replace(/QueueEndpoint=[^;]+/, 'QueueEndpoint=http://127.0.0.1:1/devstoreaccount1');
    const report = await probe({ AzureWebJobsStorage: connection });
    expect(report.checks.tableStorage).toMatchObject({ reachable: false });
    expect(report.checks.queueStorage).toMatchObject({ reachable: false });
    expect(report.checks.keyVault?.reachable).toBe(true);
  });

  it('reports a Key Vault that refuses the identity as forbidden', async () => {
    const other = await simulator.addVault('someone-elses', operator.tenantId);
    const report = await probe({ KEY_VAULT_URL: simulator.keyVaultUrl(other.name) });
    expect(report.checks.keyVault).toMatchObject({ reachable: false, problem: 'forbidden' });
  });

  it('never puts a secret, a message or a stack trace in the report', async () => {
    const connection = inject('storageConnectionString').replace(
      /TableEndpoint=[^;]+/,
      'TableEndpoint=http://127.0.0.1:1/devstoreaccount1',
    );
    const report = await probe({ AzureWebJobsStorage: connection, KEY_VAULT_URL: 'https://127.0.0.1:1' });
    const text = JSON.stringify(report);
    expect(text).not.toContain(operator.connectorIdentity.clientSecret);
    expect(text).not.toContain(accountKeyOf(connection));
    expect(text).not.toMatch(/ECONNREFUSED|Error|at \w+ \(/);
    for (const check of Object.values(report.checks)) {
      expect(Object.keys(check).sort()).toEqual(expect.arrayContaining(['durationMs', 'reachable']));
      expect(Object.keys(check).every((key) => ['durationMs', 'reachable', 'problem'].includes(key))).toBe(
        true,
      );
    }
  });
});
