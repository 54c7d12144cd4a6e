import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestCertificates } from '../sim/certificates.js';
import { transactionConcurrency } from '../src/lib/replication/replica-flush.js';

/**
 * `npm run bench:replication`: full syncs of tenants with 10,000 and 100,000 users (groups 10% of users, 5
 * memberships per user), then incremental syncs after a 1% change and after none, and a full re-enumeration after
 * the delta links expired with 5 users changed, and what a slice resuming a full enumeration reads first (every
 * stored state at once); every Graph request answered after BENCH_GRAPH_LATENCY_MS (250 ms,
 * ±20%), as from an Azure region. On the same data, the floors: each stream fetched alone (a delta stream cannot go
 * faster than its pages one after another: the longest is the fetch floor), all streams fetched side by side
 * (storing nothing), and as many rows and changes stored as the full sync writes, at 1, 2, 4, 8 and 16
 * transactions in flight (the best is the store floor). Each scenario runs in a fresh process (its peak RSS is its
 * own); the simulator and Azurite run in two more. Prints JSON lines, then a table. BENCH_SIZES=10000 limits
 * the sizes, BENCH_STORE_LEVELS=4,8,16 the store floor's levels (each stores the whole sync's rows once more).
 */
const here = dirname(fileURLToPath(import.meta.url));
const sizes = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
/** BENCH_QUICK=1: only what the re-enumeration is measured against (the groups stream alone, the fetch floor), the full sync that makes the data, the re-enumeration and the state index. */
const quick = process.env.BENCH_QUICK === '1';
const storeLevels = quick ? [] : (process.env.BENCH_STORE_LEVELS ?? '1,2,4,8,16').split(',').map(Number);
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
    const azurite = fork(join(here, 'azurite-process.js'));
    const services = fork(join(here, 'replication-services.js'), {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath },
    });
    services.send({ certificates, users });
    const [{ ready: connectionString }, { ready: simulated }] = await Promise.all([
      once<{ ready: string }>(azurite, (message) => 'ready' in message),
      once<{ ready: Record<string, unknown> }>(services, (message) => 'ready' in message),
    ]);
    const ready: Record<string, unknown> = { ...simulated, connectionString };
    const scenario = async (name: string, extra: Record<string, unknown> = {}) => {
      const worker = fork(join(here, 'replication-worker-process.js'), {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath },
        execArgv: workerArguments,
      });
      worker.send({ services: ready, scenario: name, ...extra });
      return once<Record<string, number>>(worker, () => true);
    };
    const objects = Number(ready.users) + Number(ready.groups) + Number(ready.memberships);
    const ratio = (value: number, floor: number) => Number((value / floor).toFixed(2));
    const streams: Record<string, number> = {};
    for (const stream of quick ? ['groups'] : ['users', 'groups', 'voice', 'numbers']) {
      const alone = await scenario('fetch', { stream });
      streams[stream] = alone.wallMs ?? 0;
      report({ benchmark: `replication.floor.fetch.${stream}`, users, ...alone });
    }
    const fetchFloor = Math.max(...Object.values(streams));
    const fetchAll = quick ? { pages: 0 } : await scenario('fetch');
    if (!quick)
      report({
        benchmark: 'replication.fetch.all-streams',
        users,
        ...fetchAll,
        sumOfStreamsMs: Object.values(streams).reduce((sum, ms) => sum + ms, 0),
        ratioToFetchFloor: ratio(fetchAll.wallMs ?? 0, fetchFloor),
      });
    const full = await scenario('full');
    let storeFloor = Number.POSITIVE_INFINITY;
    let bestConcurrency = 0;
    for (const concurrency of storeLevels) {
      const stored = await scenario('store-only', { storeRows: full.writes ?? 0, concurrency });
      if ((stored.wallMs ?? 0) < storeFloor)
        [storeFloor, bestConcurrency] = [stored.wallMs ?? 0, concurrency];
      report({ benchmark: `replication.floor.store.${concurrency}-in-flight`, users, ...stored });
    }
    report({
      benchmark: 'replication.full',
      users,
      objects,
      ...full,
      minimumPages: fetchAll.pages,
      objectsPerSecond: Math.round((objects / (full.wallMs ?? 1)) * 1000),
      fetchFloorMs: fetchFloor,
      storeFloorMs: storeFloor,
      storeFloorConcurrency: bestConcurrency,
      writerConcurrency: transactionConcurrency,
      ratioToFetchFloor: ratio(full.wallMs ?? 0, fetchFloor),
      ratioToStoreFloor: ratio(full.wallMs ?? 0, storeFloor),
      ratioToLargerFloor: ratio(full.wallMs ?? 0, Math.max(fetchFloor, storeFloor)),
    });
    const againstFetchFloor = (figures: Record<string, number>) => ({
      ...figures,
      fetchFloorMs: fetchFloor,
      ratioToFetchFloor: ratio(figures.wallMs ?? 0, fetchFloor),
    });
    if (!quick) {
      services.send({ change: Math.round(Number(ready.users) / 100) });
      await once(services, (message) => 'changed' in message);
      report({ benchmark: 'replication.incremental.1%', users, ...(await scenario('incremental')) });
      report({ benchmark: 'replication.incremental.none', users, ...(await scenario('incremental')) });
    }
    services.send({ change: 5, expire: true });
    await once(services, (message) => 'changed' in message);
    report({
      benchmark: 'replication.re-enumeration.5-changed',
      users,
      ...againstFetchFloor(await scenario('incremental')),
    });
    // A first sync resumed after a crash reads the same before it goes on (it used to read each row by its key).
    report({ benchmark: 'replication.resume.state-index', users, ...(await scenario('state-index')) });
    services.send({ stop: true });
    azurite.send({ stop: true });
    await Promise.all(
      [services, azurite].map((child) => new Promise((resolve) => child.once('exit', resolve))),
    );
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
