import { readFileSync } from 'node:fs';
import { generateTenant } from '../sim/tenant/generate-tenant.js';
import type { TenantState } from '../sim/tenant/tenant-state.js';
import type { TenantPartitionRow } from '../src/lib/tenants/tenant-partition.js';
import { startBenchConnector } from './bench-connector.js';
import type { BenchHost } from './bench-host.js';
import { nextDay } from './bench-next-day.js';
import { benchTenantRecord, connectInSimulator } from './bench-tenant.js';

/**
 * `npm run bench:fleet`: a day of replication for a fleet of tenants through the real local Functions host (its
 * queue trigger with host.json's batch size), as a Function App instance runs it: BENCH_FLEET_TENANTS tenants (200)
 * of sizes spread evenly on a log scale from 50 to 5,000 users, each with its own Graph throttling budget, every
 * Graph request answered after BENCH_GRAPH_LATENCY_MS (250 ms). The daily fan-out timer queues them; a second day
 * (1% of each tenant's users renamed) is queued by the scheduler as the next day's fan-out would. BENCH_FLEET_HOSTS
 * (1) host processes share the one Azurite. Prints JSON lines, then a table: tenants per hour per instance, run
 * times by size, the hosts' peak RSS, Graph 429s, requests, storage transactions and rows written per tenant-run,
 * how the runs spread over the hosts (the instance that ended each), and from them
 * the instances needed for 1,000 and 10,000 tenants a day inside a 4-hour window.
 */
const tenantCount = Number(process.env.BENCH_FLEET_TENANTS ?? 200);
const hostCount = Number(process.env.BENCH_FLEET_HOSTS ?? 1);
const latencyMs = Number(process.env.BENCH_GRAPH_LATENCY_MS ?? 250);
const windowHours = 4;

const sizeOf = (index: number) => Math.round(50 * 100 ** (tenantCount === 1 ? 0 : index / (tenantCount - 1)));
const bucketOf = (users: number) =>
  users < 200 ? '50-199' : users < 1000 ? '200-999' : users < 3000 ? '1000-2999' : '3000-5000';

/** A process's peak resident set (Linux), in MB. */
function peakRssMb(pid: number | undefined): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    return kb ? Math.round(kb / 1024) : undefined;
  } catch {
    return undefined;
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

async function main() {
  const bench = await startBenchConnector();
  const { simulator, storage } = bench;
  simulator.control.setGraphConfig({
    usersDeltaPageSize: 200,
    groupsDeltaPageSize: 100,
    membersPerDeltaEntry: 5,
    latencyMs,
  });

  const tenantsTable = bench.tenants;
  const fleet: { tenant: TenantState; users: number }[] = [];
  const at = new Date().toISOString();
  for (let index = 0; index < tenantCount; index += 1) {
    const users = sizeOf(index);
    const tenant = generateTenant(simulator.directory, {
      displayName: `Fleet ${index}`,
      domain: `fleet${index}.onmicrosoft.com`,
      seed: 1000 + index,
      sizes: {
        users,
        groups: Math.max(1, Math.round(users / 10)),
        membershipsPerUser: 5,
        voiceUsers: Math.round(users / 10),
        directRoutingNumbers: Math.round(users / 10),
        phoneSystemLicences: users,
      },
    });
    const clientId = connectInSimulator(simulator, tenant.id, [
      'User.Read.All',
      'GroupMember.Read.All',
      'TeamsUserConfiguration.Read.All',
      'TeamsTelephoneNumber.Read.All',
    ]);
    await tenantsTable.transaction(tenant.id).upsert(benchTenantRecord(clientId, at)).commit();
    fleet.push({ tenant, users });
  }

  const hosts: BenchHost[] = [];
  for (let i = 0; i < hostCount; i += 1)
    hosts.push(
      await bench.startHost({ PUBLIC_BASE_URL: 'http://localhost:7071', REPLICATION_WINDOW_MINUTES: '1' }),
    );

  const lines: Record<string, unknown>[] = [];
  const report = (line: Record<string, unknown>) => {
    lines.push(line);
    console.log(JSON.stringify(line));
  };

  /** Waits for every tenant's run of the day to end; its figures. */
  const day = async (name: string, runId: string, queue: () => Promise<void>) => {
    const throttledBefore = simulator.graph.throttledRequests;
    const queuedAt = Date.now();
    await queue();
    const runs = new Map<string, Record<string, unknown>>();
    while (runs.size < fleet.length) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      for await (const { entity } of tenantsTable.query<Record<string, unknown> & TenantPartitionRow>(
        `RowKey eq 'run|${runId}'`,
      ))
        if (['completed', 'failed', 'held', 'skipped'].includes(String(entity.status)))
          runs.set(entity.partitionKey, entity);
    }
    const ended = Date.now();
    const records = fleet.map(({ tenant, users }) => ({ users, run: runs.get(tenant.id) ?? {} }));
    const failed = records.filter(({ run }) => run.status !== 'completed').length;
    const seconds = (run: Record<string, unknown>) =>
      (Date.parse(String(run.finishedAt)) - Date.parse(String(run.startedAt))) / 1000;
    const busy = records.reduce((sum, { run }) => sum + seconds(run), 0);
    const firstStart = Math.min(...records.map(({ run }) => Date.parse(String(run.startedAt))));
    const wallSeconds = (ended - firstStart) / 1000;
    const requests = records.reduce((sum, { run }) => sum + Number(run.requests ?? 0), 0);
    const counts = records.map(({ run }) => JSON.parse(String(run.counts ?? '{}')) as Record<string, number>);
    const transactions = counts.reduce((sum, run) => sum + (run.transactions ?? 0), 0);
    // Every change is a replica row written (or removed) and an entry in a feed row.
    const rowsWritten = counts.reduce(
      (sum, run) =>
        sum + Object.entries(run).reduce((n, [name, value]) => (name === 'transactions' ? n : n + value), 0),
      0,
    );
    const runsByInstance = new Map<string, number>();
    for (const { run } of records)
      runsByInstance.set(String(run.instance), (runsByInstance.get(String(run.instance)) ?? 0) + 1);
    const byBucket: Record<string, string> = {};
    for (const bucket of ['50-199', '200-999', '1000-2999', '3000-5000']) {
      const times = records.filter(({ users }) => bucketOf(users) === bucket).map(({ run }) => seconds(run));
      if (times.length)
        byBucket[`runSeconds.${bucket}`] =
          `p50 ${percentile(times, 50).toFixed(1)} p95 ${percentile(times, 95).toFixed(1)} (${times.length})`;
    }
    const figures = {
      benchmark: `fleet.${name}`,
      tenants: fleet.length,
      hosts: hostCount,
      failed,
      queuedToLastEndSeconds: Math.round((ended - queuedAt) / 1000),
      wallSeconds: Math.round(wallSeconds),
      tenantsPerHourPerInstance: Math.round(((fleet.length / wallSeconds) * 3600) / hostCount),
      runsInFlight: Number((busy / wallSeconds).toFixed(1)),
      graph429: simulator.graph.throttledRequests - throttledBefore,
      requestsPerTenantRun: Number((requests / fleet.length).toFixed(1)),
      transactionsPerTenantRun: Number((transactions / fleet.length).toFixed(1)),
      rowsWrittenPerTenantRun: Math.round(rowsWritten / fleet.length),
      rowsWrittenPerSecond: Math.round(rowsWritten / wallSeconds),
      runsByInstance: [...runsByInstance.values()].sort((a, b) => b - a).join(' '),
      ...byBucket,
    };
    report(figures);
    return { ...figures, records, seconds };
  };

  const firstDay = await day('day.full', `cycle-${new Date().toISOString().slice(0, 10)}`, async () => {
    const fired = await fetch(`${hosts[0]?.url}/admin/functions/replication-fan-out`, {
      method: 'POST',
      headers: { 'x-functions-key': bench.masterKey, 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    if (fired.status !== 202) throw new Error(`the fan-out timer answered ${fired.status}`);
  });

  const { tomorrow, fanOut } = nextDay(
    simulator,
    storage,
    fleet.map(({ tenant }) => tenant),
  );
  const secondDay = await day(
    'day.incremental-1%',
    `cycle-${tomorrow.toISOString().slice(0, 10)}`,
    async () => {
      await fanOut();
    },
  );

  const rss = hosts.map((host) => peakRssMb(host.child.pid));
  const perInstancePerWindow = firstDay.tenantsPerHourPerInstance * windowHours || 1;
  const thousandUserRuns = firstDay.records
    .filter(({ users }) => users >= 700 && users <= 1400)
    .map(({ run }) => firstDay.seconds(run));
  const thousandUserSeconds = percentile(thousandUserRuns, 50);
  report({
    benchmark: 'fleet.projection',
    peakRssMbPerHost: rss.join(' '),
    instancesFor1000TenantsIn4h: Math.ceil(1000 / perInstancePerWindow),
    instancesFor10000TenantsIn4h: Math.ceil(10_000 / perInstancePerWindow),
    tenantsOf1000UsersPerInstanceIn4h: thousandUserSeconds
      ? Math.round((firstDay.runsInFlight * windowHours * 3600) / thousandUserSeconds)
      : 0,
    fullDayRequestsPerTenant: firstDay.requestsPerTenantRun,
    fullDayTransactionsPerTenant: firstDay.transactionsPerTenantRun,
    incrementalDayRequestsPerTenant: secondDay.requestsPerTenantRun,
    incrementalDayTransactionsPerTenant: secondDay.transactionsPerTenantRun,
    graph429: firstDay.graph429 + secondDay.graph429,
  });

  await bench.stop();
  console.log('');
  console.table(
    lines.map(({ benchmark, ...figures }) => ({
      benchmark,
      figures: Object.entries(figures)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    })),
  );
  process.exit(0);
}

await main();
