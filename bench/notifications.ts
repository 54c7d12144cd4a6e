import { generateTenant } from '../sim/tenant/generate-tenant.js';
import { startBenchConnector } from './bench-connector.js';
import { benchTenantRecord, connectInSimulator } from './bench-tenant.js';
import { type FigureLine, printFigures } from './figure-lines.js';

/**
 * `npm run bench:notifications`: near-real-time replication for BENCH_NRT_TENANTS tenants (20) through the real
 * local Functions host: each turned on through the API, then for BENCH_NRT_SECONDS (60) a user of a tenant chosen at
 * random is renamed at random moments (BENCH_NRT_CHANGES, 40, in all), Graph answering after BENCH_GRAPH_LATENCY_MS
 * (250 ms). Measures, for each change, the time from the simulator's change to its entry in the tenant's change
 * feed (the core's view), and how long the connector took to answer each of Graph's notification POSTs. The floor,
 * measured in the same run: the quiet period plus the median on-demand run of one of these tenants with one change.
 * Prints JSON lines, then a table.
 */
const tenantCount = Number(process.env.BENCH_NRT_TENANTS ?? 20);
const seconds = Number(process.env.BENCH_NRT_SECONDS ?? 60);
const changeCount = Number(process.env.BENCH_NRT_CHANGES ?? 40);
const latencyMs = Number(process.env.BENCH_GRAPH_LATENCY_MS ?? 250);
const quietSeconds = 30;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

async function main() {
  const bench = await startBenchConnector();
  const { simulator, call } = bench;
  simulator.control.setGraphConfig({ latencyMs, subscriptionHttpUrls: true });
  const tenantsTable = bench.tenants;
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

  await bench.startHost({ NEAR_REAL_TIME_QUIET_SECONDS: String(quietSeconds) });

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
  const lines: FigureLine[] = [
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
  printFigures(
    lines,
    `${tenantCount} tenants, ${made.size} changes over ${seconds} s, Graph latency ${latencyMs} ms`,
    48,
  );

  await bench.stop();
}

await main();
