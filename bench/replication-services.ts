import type { TestCertificates } from '../sim/certificates.js';
import { seedOperator } from '../sim/sample-world.js';
import { Simulator } from '../sim/server.js';
import { generateTenant } from '../sim/tenant/generate-tenant.js';
import { connectInSimulator } from './bench-tenant.js';

/**
 * The benchmark's simulator, in a process of its own (Azurite has another: on one event loop, its work on a flush
 * would hold Graph's answers back), with one generated tenant of `users` users (groups 10%,
 * 5 memberships each), its app registration consented, and the secret in the simulated vault; Graph answers after
 * BENCH_GRAPH_LATENCY_MS (250). Answers `change` (that many users renamed; with `expire`, the delta links expired
 * first) and `stop` over IPC.
 */
process.once('message', async (message: { certificates: TestCertificates; users: number }) => {
  const simulator = await Simulator.start({ certificates: message.certificates });
  const operator = await seedOperator(simulator);
  const tenant = generateTenant(simulator.directory, {
    displayName: 'Bench',
    domain: 'bench.onmicrosoft.com',
    seed: 77,
    sizes: {
      users: message.users,
      groups: Math.round(message.users / 10),
      membershipsPerUser: 5,
      voiceUsers: Math.round(message.users / 10),
      directRoutingNumbers: Math.round(message.users / 10),
      phoneSystemLicences: message.users,
    },
  });
  simulator.control.setThrottleBudget(Number.MAX_SAFE_INTEGER);
  // Graph's own page sizes as far as Microsoft states them: 200 users a page, and about 500 membership links a
  // page (100 group entries of 5 members each); a round trip to Graph from an Azure region.
  simulator.control.setGraphConfig({
    usersDeltaPageSize: 200,
    groupsDeltaPageSize: 100,
    membersPerDeltaEntry: 5,
    latencyMs: Number(process.env.BENCH_GRAPH_LATENCY_MS ?? 250),
  });
  connectInSimulator(
    simulator,
    tenant.id,
    [
      'User.Read.All',
      'GroupMember.Read.All',
      'TeamsUserConfiguration.Read.All',
      'TeamsTelephoneNumber.Read.All',
      'RoleManagement.Read.Directory',
    ],
    'Live Platform Connector',
  );
  process.send?.({
    ready: {
      authorityHost: simulator.authorityHost,
      graphEndpoint: simulator.graphEndpoint,
      keyVaultUrl: operator.keyVaultUrl,
      operatorTenantId: operator.tenantId,
      identity: operator.connectorIdentity,
      tenantId: tenant.id,
      users: tenant.users.size,
      groups: tenant.groups.size,
      memberships: [...tenant.members.values()].reduce((sum, set) => sum + set.size, 0),
    },
  });
  let changes = 0;
  process.on('message', async (command: { change?: number; expire?: boolean; stop?: boolean }) => {
    if (command.expire) simulator.control.expireDeltaTokens(tenant.id);
    if (command.change) {
      changes += 1;
      const ids = tenant.userOrder.slice(0, command.change);
      for (const id of ids)
        simulator.control.updateUser(tenant.id, id, { displayName: `Changed ${changes} ${id.slice(0, 8)}` });
      process.send?.({ changed: ids.length });
    }
    if (command.stop) {
      await simulator.stop();
      process.exit(0);
    }
  });
});
