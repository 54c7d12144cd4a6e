import { generateTenant } from '../sim/tenant/generate-tenant.js';
import { requiredPermissions } from '../src/lib/validation/required-permissions.js';
import { startBenchConnector } from './bench-connector.js';
import { benchTenantRecord, connectInSimulator } from './bench-tenant.js';
import { type FigureLine, printFigures } from './figure-lines.js';

/**
 * `npm run bench:telephony`: BENCH_ASSIGNMENTS (500) number assignments for one tenant sent at once through the
 * running connector, Graph answering after BENCH_GRAPH_LATENCY_MS (250 ms), each order taking
 * BENCH_ORDER_MS (3 s) at Microsoft, and the simulator's throttle set to BENCH_GRAPH_BUDGET resource units per 10 s
 * (100: far below what the connector's pacer assumes, so Graph answers 429 and the connector must wait them out).
 * Measures how long until every request ended and how many Graph requests (and 429s) it took. The floors, measured
 * in the same run: one assignment alone, end to end; and the Graph budget's floor, the Graph requests the run made
 * spread over the budget's windows. Prints JSON lines, then a table.
 */
const assignments = Number(process.env.BENCH_ASSIGNMENTS ?? 500);
const latencyMs = Number(process.env.BENCH_GRAPH_LATENCY_MS ?? 250);
const orderMs = Number(process.env.BENCH_ORDER_MS ?? 3_000);
const budget = Number(process.env.BENCH_GRAPH_BUDGET ?? 100);

async function main() {
  const bench = await startBenchConnector();
  const { simulator, call } = bench;
  simulator.control.setGraphConfig({ latencyMs, numberOperationMs: orderMs });
  const tenant = generateTenant(simulator.directory, {
    displayName: 'Write-back',
    domain: 'writeback.onmicrosoft.com',
    seed: 3100,
    sizes: {
      users: assignments + 1,
      groups: 2,
      membershipsPerUser: 1,
      voiceUsers: assignments + 1,
      directRoutingNumbers: 2 * (assignments + 1),
      phoneSystemLicences: assignments + 1,
    },
  });
  const clientId = connectInSimulator(simulator, tenant.id, [
    ...requiredPermissions.replication,
    ...requiredPermissions.writeBack,
  ]);
  await bench.tenants
    .transaction(tenant.id)
    .upsert({ ...benchTenantRecord(clientId, new Date().toISOString()), writeBack: true })
    .commit();
  await bench.startHost();
  const users = [...tenant.teamsConfigurations.keys()];
  const free = [...tenant.numberAssignments.values()]
    .filter((number) => !number.assignmentTargetId)
    .map((number) => number.telephoneNumber);

  const assign = (index: number) =>
    call('POST', `/tenants/${tenant.id}/number-assignments`, {
      requestId: `bench-${index}`,
      action: 'assign',
      telephoneNumber: free[index],
      userId: users[index],
      assignmentCategory: 'private',
    });
  const ended = async (requestIds: string[]) => {
    const waiting = new Set(requestIds);
    const states = new Map<string, string>();
    while (waiting.size > 0) {
      const { body } = await call('GET', `/tenants/${tenant.id}/telephony-requests?working=true`);
      const working = new Set((body.value as { requestId: string }[]).map((view) => view.requestId));
      for (const id of [...waiting])
        if (!working.has(id)) {
          const { body: view } = await call('GET', `/tenants/${tenant.id}/telephony-requests/${id}`);
          if (view.state === 'succeeded' || view.state === 'failed') {
            states.set(id, String(view.state));
            waiting.delete(id);
          }
        }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return states;
  };

  // The floor: one assignment alone (the last user and number), end to end.
  const aloneStarted = Date.now();
  await assign(assignments);
  await ended([`bench-${assignments}`]);
  const aloneMs = Date.now() - aloneStarted;

  simulator.control.setThrottleBudget(budget);
  const graphBefore = simulator.graph.requestCount;
  const throttledBefore = simulator.graph.throttledRequests;
  const started = Date.now();
  const answers = await Promise.all(Array.from({ length: assignments }, (_, index) => assign(index)));
  const refused = answers.filter((answer) => answer.status !== 202).length;
  const states = await ended(Array.from({ length: assignments }, (_, index) => `bench-${index}`));
  const wallMs = Date.now() - started;
  const graphRequests = simulator.graph.requestCount - graphBefore;
  const throttled = simulator.graph.throttledRequests - throttledBefore;
  const succeeded = [...states.values()].filter((state) => state === 'succeeded').length;
  const assigned = free
    .slice(0, assignments)
    .filter(
      (number, index) => tenant.numberAssignments.get(number)?.assignmentTargetId === users[index],
    ).length;
  const orders = tenant.numberOrders.size - 1;
  const budgetFloorMs = Math.ceil(graphRequests / budget) * 10_000;
  const floorMs = Math.max(aloneMs, budgetFloorMs);
  const events =
    bench.standIn.events.filter((event) => event.type === 'telephony.request_succeeded').length - 1;

  const lines: FigureLine[] = [
    { figure: 'floor: one assignment alone', ms: aloneMs },
    { figure: 'floor: the Graph budget for the requests made', ms: budgetFloorMs },
    {
      figure: `${assignments} assignments at once, until all ended`,
      ms: wallMs,
      ratioToFloor: wallMs / floorMs,
    },
    { figure: 'requests refused at the API', count: refused },
    { figure: 'succeeded, assigned in the tenant, success events', count: succeeded, assigned, events },
    { figure: 'Graph orders sent (one per assignment)', count: orders },
    {
      figure: 'Graph requests, per assignment',
      count: graphRequests,
      perAssignment: graphRequests / assignments,
    },
    { figure: 'Graph answered 429 (each waited out)', count: throttled },
  ];
  printFigures(
    lines,
    `${assignments} assignments, Graph latency ${latencyMs} ms, orders ${orderMs} ms, Graph budget ${budget} per 10 s`,
  );
  await bench.stop();
  if (succeeded !== assignments || assigned !== assignments || orders !== assignments) process.exitCode = 1;
}

await main();
