import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateTenant } from '../sim/tenant/generate-tenant.js';
import { requiredPermissions } from '../src/lib/validation/required-permissions.js';
import { startBenchConnector } from './bench-connector.js';
import { nextDay } from './bench-next-day.js';
import { benchTenantRecord, connectInSimulator } from './bench-tenant.js';
import { type FigureLine, printFigures } from './figure-lines.js';

/**
 * `npm run bench:telemetry`: what the connector's telemetry costs, measured at the exporter. BENCH_TELEMETRY_TENANTS
 * (20) tenants of BENCH_TELEMETRY_USERS (300) users each run through the local host, whose telemetry goes to an
 * OTLP/HTTP collector in this process that counts spans, log records and metric points and their bytes (OTLP JSON:
 * a proxy for what Application Insights ingests). Phases: the first sync (once per tenant, ever), a daily run with
 * 1% of users renamed plus the daily credential check (per tenant, per day), and one of each timer that runs
 * whatever the fleet (per day: 1,440 event sweeps, 96 workflow and 96 near-real-time sweeps, one housekeeping).
 * Metric points are counted once the host has stopped (it exports them each minute and on its way out). Prints the
 * day of 1,000 tenants projected from them.
 */
const tenantCount = Number(process.env.BENCH_TELEMETRY_TENANTS ?? 20);
const users = Number(process.env.BENCH_TELEMETRY_USERS ?? 300);
const projectedTenants = 1_000;
/** Each timer's invocations in a day, whatever the fleet. */
const timersPerDay: Record<string, number> = {
  'core-events-sweep': 1_440,
  'workflow-sweep': 96,
  'near-real-time-sweep': 96,
  housekeeping: 1,
};

interface Tally {
  spans: number;
  logs: number;
  metricPoints: number;
  bytes: number;
}
const zero = (): Tally => ({ spans: 0, logs: 0, metricPoints: 0, bytes: 0 });
const minus = (a: Tally, b: Tally): Tally => ({
  spans: a.spans - b.spans,
  logs: a.logs - b.logs,
  metricPoints: a.metricPoints - b.metricPoints,
  bytes: a.bytes - b.bytes,
});

/** An OTLP/HTTP (JSON) collector that counts what arrives. */
async function startCollector(): Promise<{ url: string; tally: Tally; close(): Promise<void> }> {
  const tally = zero();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      tally.bytes += body.length;
      const json = JSON.parse(body.toString('utf8') || '{}') as Record<string, { [k: string]: unknown[] }[]>;
      const scopes = (key: string, inner: string) =>
        (json[key] ?? []).flatMap((resource) => (resource[inner] ?? []) as Record<string, unknown[]>[]);
      if (request.url === '/v1/traces')
        tally.spans += scopes('resourceSpans', 'scopeSpans').reduce(
          (n, scope) => n + (scope.spans?.length ?? 0),
          0,
        );
      if (request.url === '/v1/logs')
        tally.logs += scopes('resourceLogs', 'scopeLogs').reduce(
          (n, scope) => n + (scope.logRecords?.length ?? 0),
          0,
        );
      if (request.url === '/v1/metrics')
        for (const scope of scopes('resourceMetrics', 'scopeMetrics'))
          for (const metric of (scope.metrics ?? []) as Record<string, { dataPoints?: unknown[] }>[])
            for (const data of Object.values(metric))
              if (typeof data === 'object' && data && Array.isArray(data.dataPoints))
                tally.metricPoints += data.dataPoints.length;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tally,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const collector = await startCollector();
  const bench = await startBenchConnector();
  const { simulator, storage } = bench;
  simulator.control.setGraphConfig({
    usersDeltaPageSize: 100,
    groupsDeltaPageSize: 100,
    membersPerDeltaEntry: 5,
  });
  const tenantsTable = bench.tenants;
  const at = new Date().toISOString();
  const fleet = [];
  for (let index = 0; index < tenantCount; index += 1) {
    const tenant = generateTenant(simulator.directory, {
      displayName: `Telemetry ${index}`,
      domain: `telemetry${index}.onmicrosoft.com`,
      seed: 4000 + index,
      sizes: {
        users,
        groups: Math.round(users / 10),
        membershipsPerUser: 5,
        voiceUsers: Math.round(users / 10),
        directRoutingNumbers: Math.round(users / 10),
        phoneSystemLicences: users,
      },
    });
    const clientId = connectInSimulator(simulator, tenant.id, [...requiredPermissions.replication]);
    await tenantsTable.transaction(tenant.id).upsert(benchTenantRecord(clientId, at)).commit();
    fleet.push(tenant);
  }
  const host = await bench.startHost({
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    REPLICATION_WINDOW_MINUTES: '1',
  });
  const runTimer = async (name: string) => {
    const fired = await fetch(`${host.url}/admin/functions/${name}`, {
      method: 'POST',
      headers: { 'x-functions-key': bench.masterKey, 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    if (fired.status !== 202) throw new Error(`${name} answered ${fired.status}`);
  };
  const countEnded = async (runId: string) => {
    let ended = 0;
    for await (const { entity } of tenantsTable.query<Record<string, unknown>>(`RowKey eq 'run|${runId}'`))
      if (['completed', 'failed', 'held', 'skipped'].includes(String(entity.status))) ended += 1;
    return ended;
  };
  const runsEnded = async (runId: string) => {
    for (;;) {
      // A query Azurite leaves unanswered is asked again (seen once here: the loop stood still for minutes).
      const ended = await Promise.race([countEnded(runId), pause(20_000).then(() => -1)]);
      console.error(`${runId}: ${ended < 0 ? 'no answer' : `${ended} of ${fleet.length} ended`}`);
      if (ended === fleet.length) return;
      await pause(3_000);
    }
  };
  /** Until nothing more arrives for 7 s: the host's batches have gone out (spans every 5 s) and the work settled. */
  const settle = async () => {
    let last = -1;
    let still = 0;
    while (still < 7) {
      await pause(1_000);
      const now = collector.tally.spans + collector.tally.logs;
      still = now === last ? still + 1 : 0;
      last = now;
    }
  };
  const phase = async (work: () => Promise<void>): Promise<Tally> => {
    const before = { ...collector.tally };
    await work();
    await settle();
    return minus({ ...collector.tally }, before);
  };

  const firstSync = await phase(async () => {
    await runTimer('replication-fan-out');
    await runsEnded(`cycle-${at.slice(0, 10)}`);
  });
  const { tomorrow, fanOut } = nextDay(simulator, storage, fleet);
  const daily = await phase(async () => {
    await fanOut();
    await runsEnded(`cycle-${tomorrow.toISOString().slice(0, 10)}`);
    await runTimer('credential-check');
  });
  const timers: Record<string, Tally> = {};
  for (const name of Object.keys(timersPerDay)) timers[name] = await phase(() => runTimer(name));
  const beforeStop = { ...collector.tally };
  await bench.stop();
  const metricsAtStop = minus({ ...collector.tally }, beforeStop);
  await collector.close();

  const perTenant = (tally: Tally, field: keyof Tally) => tally[field] / tenantCount;
  const fixedPerDay = (field: keyof Tally) =>
    Object.entries(timersPerDay).reduce(
      (sum, [name, times]) => sum + (timers[name]?.[field] ?? 0) * times,
      0,
    );
  const allMetricPoints = collector.tally.metricPoints;
  // Metric points come each minute a series moved; the run's were counted as they came, the rest at stop.
  const metricPointsPerTenantDay = allMetricPoints / tenantCount;
  const day = {
    spans: perTenant(daily, 'spans') * projectedTenants + fixedPerDay('spans'),
    logs: perTenant(daily, 'logs') * projectedTenants + fixedPerDay('logs'),
    metricPoints: metricPointsPerTenantDay * projectedTenants,
    megabytes:
      (perTenant(daily, 'bytes') * projectedTenants +
        fixedPerDay('bytes') +
        (metricsAtStop.bytes / tenantCount) * projectedTenants) /
      1e6,
  };
  const lines: FigureLine[] = [
    {
      figure: 'first sync, per tenant (once)',
      spans: perTenant(firstSync, 'spans'),
      logs: perTenant(firstSync, 'logs'),
      kilobytes: Math.round(perTenant(firstSync, 'bytes') / 1000),
    },
    {
      figure: 'daily run + credential check, per tenant',
      spans: perTenant(daily, 'spans'),
      logs: perTenant(daily, 'logs'),
      kilobytes: Math.round(perTenant(daily, 'bytes') / 1000),
    },
    ...Object.entries(timers).map(([name, tally]) => ({
      figure: `${name}, per invocation (${timersPerDay[name]} a day)`,
      spans: tally.spans,
      logs: tally.logs,
      kilobytes: Math.round(tally.bytes / 100) / 10,
    })),
    { figure: 'metric points, per tenant over the bench', points: Math.round(metricPointsPerTenantDay) },
    {
      figure: `a day of ${projectedTenants} tenants (steady state)`,
      spans: Math.round(day.spans),
      logs: Math.round(day.logs),
      metricPoints: Math.round(day.metricPoints),
      megabytesOtlpJson: Math.round(day.megabytes),
    },
  ];
  printFigures(lines, `Telemetry volume (${tenantCount} tenants of ${users} users; OTLP JSON bytes)`, 56);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
