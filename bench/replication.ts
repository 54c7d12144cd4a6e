import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestCertificates } from '../sim/certificates.js';

/**
 * `npm run bench:replication`: full syncs of tenants with 10,000 and 100,000 users (groups 10% of users, 5
 * memberships per user), then incremental syncs after a 1% change and after none; and, on the same data, two floors:
 * fetch-only (read and parse every page, store nothing) and store-only (write as many rows in full transactions).
 * Each scenario runs in a fresh process (its peak RSS is its own); Azurite and the simulator run in another one.
 * Prints JSON lines, then a table. BENCH_SIZES=10000 limits the sizes.
 */
const here = dirname(fileURLToPath(import.meta.url));
const sizes = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
/** The measured process runs with the Node options the app is deployed with (BENCH_NODE_ARGS overrides). */
const workerArguments = (
  process.env.BENCH_NODE_ARGS ??
  JSON.parse(readFileSync(join(here, '..', '..', 'local.settings.example.json'), 'utf8')).Values
    .languageWorkers__node__arguments ??
  ''
)
  .split(/\s+/)
  .filter(Boolean);

function once<T>(child: ChildProcess, predicate: (message: Record<string, unknown>) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>) => {
      if (predicate(message)) {
        child.off('message', onMessage);
        resolve(message as T);
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) =>
      code ? reject(new Error(`a benchmark process exited with ${code}`)) : undefined,
    );
  });
}

async function main() {
  const certificates = await createTestCertificates();
  const dir = mkdtempSync(join(tmpdir(), 'bench-replication-'));
  const caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, certificates.caCert);
  const lines: Record<string, unknown>[] = [];
  const report = (line: Record<string, unknown>) => {
    lines.push(line);
    console.log(JSON.stringify(line));
  };
  for (const users of sizes) {
    const services = fork(join(here, 'replication-services.js'), {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath },
    });
    services.send({ certificates, users });
    const { ready } = await once<{ ready: Record<string, unknown> }>(
      services,
      (message) => 'ready' in message,
    );
    const scenario = async (name: string, extra: Record<string, unknown> = {}) => {
      const worker = fork(join(here, 'replication-worker-process.js'), {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath },
        execArgv: workerArguments,
      });
      worker.send({ services: ready, scenario: name, ...extra });
      return once<Record<string, number>>(worker, () => true);
    };
    const objects = Number(ready.users) + Number(ready.groups) + Number(ready.memberships);
    const fetchOnly = await scenario('fetch-only');
    const full = await scenario('full');
    const storeOnly = await scenario('store-only', { storeRows: full.writes ?? 0 });
    const floor = Math.max(fetchOnly.wallMs ?? 0, storeOnly.wallMs ?? 0);
    report({ benchmark: 'replication.floor.fetch-only', users, ...fetchOnly });
    report({ benchmark: 'replication.floor.store-only', users, ...storeOnly });
    report({
      benchmark: 'replication.full',
      users,
      objects,
      ...full,
      minimumPages: fetchOnly.pages,
      objectsPerSecond: Math.round((objects / (full.wallMs ?? 1)) * 1000),
      ratioToLargerFloor: Number(((full.wallMs ?? 0) / floor).toFixed(2)),
    });
    services.send({ change: Math.round(Number(ready.users) / 100) });
    await once(services, (message) => 'changed' in message);
    report({ benchmark: 'replication.incremental.1%', users, ...(await scenario('incremental')) });
    report({ benchmark: 'replication.incremental.none', users, ...(await scenario('incremental')) });
    services.send({ stop: true });
    await new Promise((resolve) => services.once('exit', resolve));
  }
  rmSync(dir, { recursive: true, force: true });
  console.log('');
  console.table(
    lines.map(({ benchmark, users, ...figures }) => ({
      benchmark,
      users,
      figures: Object.entries(figures)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    })),
  );
}

await main();
