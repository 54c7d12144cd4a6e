import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateCertificates } from '../sim/certificates.js';
import { type SampleWorld, seedSampleWorld } from '../sim/sample-world.js';
import { Simulator } from '../sim/server.js';
import { loadWorld, saveWorld } from '../sim/world-file.js';
import { eventSigningSecretName, requestSigningSecretsName } from '../src/lib/core-api/signing-secrets.js';
import { provisioningSecretName } from '../src/lib/onboarding/automatic/provisioning-sign-in.js';
import { signInRedirectUri } from '../src/lib/onboarding/onboarding-urls.js';
import { projectRoot } from '../src/lib/project-root.js';
import { type RunningAzurite, startAzurite } from './azurite.js';
import { CoreStandIn } from './core-stand-in.js';
import { type LocalSettings, readLocalSettings } from './host/local-settings.js';

/**
 * `npm start`: Azurite and the Microsoft 365 simulator in this process, the local Functions host in a child
 * process that trusts the simulator's test CA (started again if it dies). With `--persist DIR`, Azurite's data
 * and the simulator's world are kept in DIR, so a new `npm start` continues where the last one stopped. Ctrl-C
 * stops all of it.
 */
const root = projectRoot(import.meta.url);
const { values: args } = parseArgs({
  options: {
    persist: { type: 'string' },
    port: { type: 'string' },
    'sim-port': { type: 'string', default: '7443' },
    'core-port': { type: 'string', default: '7072' },
  },
});

const developmentStorage = 'UseDevelopmentStorage=true';
const lines: [string, string][] = [];
const say = (what: string, where: string) => lines.push([what, where]);

function settingsFile(): string {
  const own = join(root, 'local.settings.json');
  return existsSync(own) ? own : join(root, 'local.settings.example.json');
}

async function startStorage(settings: LocalSettings): Promise<RunningAzurite | undefined> {
  if (settings.values.AzureWebJobsStorage !== developmentStorage) {
    say('Storage', 'the account in AzureWebJobsStorage');
    return undefined;
  }
  const location = args.persist;
  // The emulator's fixed ports, so UseDevelopmentStorage=true reaches it as it would a standalone Azurite.
  const azurite = await startAzurite({ tablePort: 10002, queuePort: 10001, location }).catch(
    (error: Error) => {
      throw new Error(
        `Azurite could not start on ports 10001/10002 (is another Azurite running?): ${error.message}`,
      );
    },
  );
  say(
    'Storage',
    `Azurite ${location ? `persisting to ${location}` : 'in memory'}: tables ${azurite.tableEndpoint}, queues ${azurite.queueEndpoint}`,
  );
  return azurite;
}

const webhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

interface SimulatedCloud {
  simulator?: Simulator;
  caCertPath?: string;
  /** Signing secrets in the simulated vault (fresh each run, or those of the persisted world). */
  secrets?: { request: string; event: string };
  /** Saves the simulated world (with `--persist`), now and whenever it changed. */
  save?: () => void;
}

/** The latest value of a secret in the simulated connector vault. */
function vaultValue(simulator: Simulator, name: string): string | undefined {
  return simulator.vaults.get('connector')?.vault.secrets.get(name.toLowerCase())?.versions.at(-1)?.value;
}

/** The sample world: the persisted one when there is one, else a new one with fresh signing secrets. */
async function simulatedWorld(
  simulator: Simulator,
  settings: LocalSettings,
  worldPath: string | undefined,
): Promise<{ world: SampleWorld; secrets: { request: string; event: string }; restored: boolean }> {
  const restored = worldPath ? await loadWorld(worldPath, simulator) : undefined;
  if (restored) {
    const request = vaultValue(simulator, requestSigningSecretsName);
    const event = vaultValue(simulator, eventSigningSecretName);
    if (request && event) return { world: restored, secrets: { request, event }, restored: true };
  }
  const world = await seedSampleWorld(simulator, [signInRedirectUri(settings.values.PUBLIC_BASE_URL ?? '')]);
  const secrets = { request: webhookSecret(), event: webhookSecret() };
  const vault = simulator.vaults.get('connector')?.vault;
  vault?.put(requestSigningSecretsName, { value: secrets.request });
  vault?.put(eventSigningSecretName, { value: secrets.event });
  vault?.put(provisioningSecretName, { value: world.provisioningApp.clientSecret });
  return { world, secrets, restored: false };
}

async function startSimulator(settings: LocalSettings): Promise<SimulatedCloud> {
  if (settings.values.KEY_VAULT_URL || settings.values.AUTHORITY_HOST) {
    say(
      'Microsoft cloud',
      `the real one: authority ${settings.values.AUTHORITY_HOST || `of ${settings.values.CLOUD}`}, Key Vault ${settings.values.KEY_VAULT_URL}`,
    );
    return {};
  }
  const certificates = await loadOrCreateCertificates(join(root, '.local', 'sim'));
  const simulator = await Simulator.start({ certificates, port: Number(args['sim-port']) });
  // As Entra does, new users, domains and apps reach every replica a little after they are made.
  // Change notifications go to the local host's http URL, where Microsoft would want https.
  simulator.control.setGraphConfig({ directoryReplicationMs: 2_000, subscriptionHttpUrls: true });
  const worldPath = args.persist ? join(args.persist, 'simulator-world.json') : undefined;
  const { world: operator, secrets, restored } = await simulatedWorld(simulator, settings, worldPath);
  Object.assign(settings.values, {
    AUTHORITY_HOST: simulator.authorityHost,
    GRAPH_ENDPOINT: simulator.graphEndpoint,
    KEY_VAULT_URL: operator.keyVaultUrl,
    AZURE_TENANT_ID: operator.tenantId,
    AZURE_CLIENT_ID: operator.connectorIdentity.clientId,
    AZURE_CLIENT_SECRET: operator.connectorIdentity.clientSecret,
  });
  settings.values.PROVISIONING_CLIENT_ID = operator.provisioningApp.clientId;
  say(
    'Microsoft cloud',
    `the Microsoft 365 simulator at ${simulator.url} (no real Entra settings are given)${
      worldPath
        ? `, its world ${restored ? 'continued from' : 'kept in'} ${relative(process.cwd(), worldPath)}`
        : ''
    }`,
  );
  say('Key Vault', `${operator.keyVaultUrl} (simulated)`);
  say(
    'Sample tenants',
    operator.tenants.map((tenant) => `${tenant.domain} (admin ${tenant.admin.userPrincipalName})`).join(', '),
  );
  say('Test CA', relative(process.cwd(), certificates.caCertPath));
  let saved = -1;
  const save = worldPath
    ? () => {
        if (saved === simulator.activity.writes) return;
        saved = simulator.activity.writes;
        saveWorld(worldPath, simulator, operator);
      }
    : undefined;
  save?.();
  return { simulator, caCertPath: certificates.caCertPath, secrets, save };
}

async function startCore(settings: LocalSettings, cloud: SimulatedCloud): Promise<CoreStandIn | undefined> {
  if (settings.values.CORE_WEBHOOK_URL) {
    say('Platform core', `${settings.values.CORE_WEBHOOK_URL} (CORE_WEBHOOK_URL)`);
    return undefined;
  }
  if (!cloud.secrets) {
    say('Platform core', 'none: set CORE_WEBHOOK_URL to receive events');
    return undefined;
  }
  const standIn = await CoreStandIn.start({
    signingSecret: cloud.secrets.event,
    port: Number(args['core-port']),
  });
  settings.values.CORE_WEBHOOK_URL = standIn.eventsUrl;
  say('Platform core', `stand-in receiving events at ${standIn.eventsUrl} (GET lists them)`);
  return standIn;
}

/** The CLI signs like the core: on a local run it finds the URL, key and secret here. */
function writeCliConfig(hostUrl: string, settings: LocalSettings, cloud: SimulatedCloud): void {
  if (!cloud.secrets) return;
  const dir = join(root, '.local');
  mkdirSync(dir, { recursive: true });
  const config = {
    url: `${hostUrl}/api`,
    functionKey: settings.functionKey,
    signingSecret: cloud.secrets.request,
  };
  writeFileSync(join(dir, 'core-client.json'), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  say('CLI', 'npm run cli -- invitations   (signs as the core; settings in .local/core-client.json)');
}

function startHost(
  settings: LocalSettings,
  caCertPath: string | undefined,
): Promise<{ child: ChildProcess; url: string; functions: { kind: string; name: string }[] }> {
  const env = { ...process.env, ...(caCertPath ? { NODE_EXTRA_CA_CERTS: caCertPath } : {}) };
  // As the Functions host does, hand the worker the Node options in languageWorkers__node__arguments.
  const workerArguments = (settings.values.languageWorkers__node__arguments ?? '')
    .split(/\s+/)
    .filter(Boolean);
  const child = fork(join(root, 'dist', 'local', 'host-main.js'), {
    env,
    stdio: 'inherit',
    execArgv: [...process.execArgv, ...workerArguments],
  });
  child.send({ settings });
  return new Promise((resolve, reject) => {
    child.once(
      'message',
      (message: { ready?: string; failed?: string; functions?: { kind: string; name: string }[] }) => {
        if (message.ready) resolve({ child, url: message.ready, functions: message.functions ?? [] });
        else reject(new Error(`The local host did not start: ${message.failed}`));
      },
    );
    child.once('exit', (code) =>
      reject(new Error(`The local host exited (code ${code}) before it was ready.`)),
    );
  });
}

async function main(): Promise<void> {
  const file = settingsFile();
  const settings = readLocalSettings(file);
  if (args.port) settings.port = Number(args.port);
  say(
    'Settings',
    `${relative(process.cwd(), file)}${file.endsWith('example.json') ? ' (copy it to local.settings.json to change them)' : ''}`,
  );
  const azurite = await startStorage(settings);
  const cloud = await startSimulator(settings);
  const { simulator, caCertPath } = cloud;
  const core = await startCore(settings, cloud);
  const stopServices = async () => {
    await Promise.all([simulator?.stop(), azurite?.stop(), core?.stop()]);
  };
  let host: Awaited<ReturnType<typeof startHost>>;
  try {
    host = await startHost(settings, caCertPath);
  } catch (error) {
    await stopServices();
    throw error;
  }
  say('Connector', `${host.url}/api/health`);
  writeCliConfig(host.url, settings, cloud);
  const width = Math.max(...lines.map(([what]) => what.length));
  console.log('\nM365 Tenant Connector, running locally\n');
  for (const [what, where] of lines) console.log(`  ${what.padEnd(width)}  ${where}`);
  console.log(`\n  Functions: ${host.functions.map(({ kind, name }) => `${name} (${kind})`).join(', ')}`);
  console.log('\nPress Ctrl-C to stop.\n');

  let stopping = false;
  let current = host;
  const saving = cloud.save ? setInterval(cloud.save, 5_000) : undefined;
  const shutdown = async (code: number) => {
    if (saving) clearInterval(saving);
    cloud.save?.();
    await stopServices();
    process.exit(code);
  };
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\nStopping...');
    if (current.child.exitCode === null && current.child.signalCode === null)
      current.child.send({ stop: true });
    else void shutdown(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const recentExits: number[] = [];
  const watch = (running: Awaited<ReturnType<typeof startHost>>) =>
    running.child.once('exit', async (code, signal) => {
      if (stopping) return shutdown(0);
      const now = Date.now();
      recentExits.push(now);
      while ((recentExits[0] ?? now) < now - 60_000) recentExits.shift();
      if (recentExits.length > maxExitsPerMinute) {
        console.error(`The local host exited ${recentExits.length} times within a minute; stopping.`);
        return shutdown(1);
      }
      console.error(`The local host exited (${signal ?? `code ${code}`}); starting it again.`);
      await new Promise((resolve) => setTimeout(resolve, 1_000 * recentExits.length));
      if (stopping) return shutdown(0);
      try {
        current = await startHost(settings, caCertPath);
      } catch (error) {
        console.error((error as Error).message);
        return shutdown(1);
      }
      console.log(`The local host is serving again at ${current.url}.`);
      watch(current);
    });
  watch(host);
}

/** A host that keeps dying is not started again for ever. */
const maxExitsPerMinute = 5;

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
