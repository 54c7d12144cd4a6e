import { beforeAll, describe, expect, it } from 'vitest';
import type { TenantState } from '../../sim/tenant/tenant-state.js';
import { services } from '../../src/app-services.js';
import { dependencies } from '../../src/lib/dependencies.js';
import { AppTokenProvider } from '../../src/lib/identity/app-token-provider.js';
import { ChangeFeed } from '../../src/lib/replication/change-feed.js';
import { ReplicaStore } from '../../src/lib/replication/replica-store.js';
import type { ReplicationJob } from '../../src/lib/replication/replication-worker.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { type TenantPartitionRow, tenantRows } from '../../src/lib/tenants/tenant-partition.js';
import { checkFeedsAfterEach } from '../support/feed-invariant.js';
import { onboardManually } from '../support/onboard-manually.js';
import { useConnector } from '../support/use-connector.js';
import { workerWith } from '../support/worker-with.js';

const connector = useConnector();
checkFeedsAfterEach(connector);
let tenant: TenantState;
let clientId: string;

beforeAll(async () => {
  const summary = connector.simulator.control.generateTenant({
    displayName: 'Replica Co',
    domain: 'replicaco.onmicrosoft.com',
    seed: 31,
    sizes: {
      users: 60,
      groups: 6,
      membershipsPerUser: 3,
      voiceUsers: 12,
      directRoutingNumbers: 20,
      phoneSystemLicences: 15,
    },
  });
  tenant = connector.simulator.directory.tenant(summary.id);
  connector.simulator.control.setGraphConfig({
    usersDeltaPageSize: 7,
    groupsDeltaPageSize: 2,
    membersPerDeltaEntry: 5,
    teamsConfigurationsPageSize: 4,
    numberAssignmentsPageSize: 5,
  });
  clientId = (await onboardManually(connector, tenant.id)).clientId;
});

const feedSince = async (cursor: string | undefined) =>
  services().replica.changes(tenant.id, cursor, 100_000);

/** The replica as stored, in the terms of the simulated tenant. */
async function replica() {
  const rows = (await connector.rows(tableNames.replica)).filter((row) =>
    String(row.partitionKey).startsWith(`${tenant.id}|`),
  );
  const of = (prefix: string) => rows.filter((row) => String(row.rowKey).startsWith(prefix));
  return {
    users: new Map(of('user|').map((row) => [String(row.rowKey).slice(5), row])),
    groups: new Map(of('group|').map((row) => [String(row.rowKey).slice(6), row])),
    members: new Set(of('member|').map((row) => String(row.rowKey).slice(7))),
    voice: new Map(of('voice|').map((row) => [String(row.rowKey).slice(6), row])),
    numbers: new Map(of('number|').map((row) => [String(row.rowKey).slice(7), row])),
    changes: await feedSince(undefined),
    partitions: new Set(rows.map((row) => row.partitionKey)),
  };
}

/** What the replica must equal: the simulated tenant now. */
async function expectReplicaEqualsTenant() {
  const stored = await replica();
  expect([...stored.users.keys()].sort()).toEqual([...tenant.users.keys()].sort());
  for (const [id, user] of tenant.users) {
    expect(stored.users.get(id)).toMatchObject({
      displayName: user.displayName,
      userPrincipalName: user.userPrincipalName,
      accountEnabled: user.accountEnabled,
    });
  }
  expect([...stored.voice.keys()].sort()).toEqual([...tenant.teamsConfigurations.keys()].sort());
  for (const [id, voice] of tenant.teamsConfigurations) {
    expect(stored.voice.get(id)?.enterpriseVoice).toBe(voice.isEnterpriseVoiceEnabled ?? false);
    expect(JSON.parse(String(stored.voice.get(id)?.phoneNumbers))).toEqual(
      (voice.telephoneNumbers ?? []).map((n) => n.telephoneNumber).sort(),
    );
  }
  expect([...stored.groups.keys()].sort()).toEqual([...tenant.groups.keys()].sort());
  const members = [...tenant.members].flatMap(([groupId, ids]) => [...ids].map((id) => `${groupId}|${id}`));
  expect([...stored.members].sort()).toEqual(members.sort());
  expect([...stored.numbers.keys()].sort()).toEqual([...tenant.numberAssignments.keys()].sort());
  return stored;
}

async function run(worker = services().replicationWorker): Promise<{ job: ReplicationJob; outcome: string }> {
  const created = await services().replicationScheduler.createRun(tenant.id, 'on_demand');
  const job = { tenantId: tenant.id, runId: created.runId };
  return { job, outcome: await worker.process(job) };
}

const runRecord = async (runId: string) =>
  (
    await dependencies()
      .storage.table<TenantPartitionRow>(tableNames.tenants)
      .get(tenant.id, tenantRows.run(runId))
  )?.entity;

describe('replication', () => {
  let cursor: string | undefined;

  it('makes a first sync equal to the tenant, across many pages, following its four streams side by side', async () => {
    // Each Graph answer takes a while, as in the cloud: the streams' requests overlap. Long enough that a busy
    // machine (CI shares two cores) cannot serialise the streams by starting them late (seen once at 20 ms).
    connector.simulator.control.setGraphConfig({ latencyMs: 80 });
    connector.simulator.graph.concurrency.peak = 0;
    const { job, outcome } = await run().finally(() =>
      connector.simulator.control.setGraphConfig({ latencyMs: 0 }),
    );
    expect(outcome).toBe('completed');
    // One stream has at most its page and the next in flight; four have more, and never more than two each.
    expect(connector.simulator.graph.concurrency.peak).toBeGreaterThanOrEqual(3);
    expect(connector.simulator.graph.concurrency.peak).toBeLessThanOrEqual(8);
    const stored = await expectReplicaEqualsTenant();
    const record = await runRecord(job.runId);
    expect(record).toMatchObject({ status: 'completed', phase: 'done' });
    expect(Number(record?.pages)).toBeGreaterThan(20);
    // The feed reports every object once, with its fields, and ends at the run's cursor.
    const users = stored.changes.filter((change) => change.kind === 'user');
    expect(users.map((change) => change.id).sort()).toEqual([...tenant.users.keys()].sort());
    const someone = tenant.users.get(users[0]?.id ?? '');
    expect(users[0]?.data).toMatchObject({
      displayName: someone?.displayName,
      userPrincipalName: someone?.userPrincipalName,
    });
    expect(stored.changes.filter((change) => change.kind === 'member')).toHaveLength(
      [...tenant.members.values()].reduce((sum, set) => sum + set.size, 0),
    );
    expect(stored.changes.at(-1)?.seq).toBe(record?.cursor);
    expect(stored.partitions.size).toBeGreaterThan(10);
    cursor = String(record?.cursor);
  });

  it('costs one request per delta stream plus the Teams pages, and no writes, when nothing changed', async () => {
    const before = (await replica()).changes.length;
    const { job } = await run();
    const record = await runRecord(job.runId);
    expect(JSON.parse(String(record?.counts))).toMatchObject({
      usersUpserted: 0,
      groupsUpserted: 0,
      membersAdded: 0,
      voiceUpdated: 0,
      transactions: 0,
    });
    expect((await replica()).changes.length).toBe(before);
    // Whole lists ask for full pages ($top): 12 Teams configurations and 20 numbers come in one short page each.
    expect(Number(record?.requests)).toBe(2 + 1 + 1);
  });

  it('after scripted changes yields exactly those changes', async () => {
    const [renamed, soft, hard] = tenant.userOrder.slice(20, 23) as string[];
    const added = connector.simulator.control.addUser(tenant.id, {
      displayName: 'New Joiner',
      alias: 'new.joiner',
    });
    connector.simulator.control.updateUser(tenant.id, renamed as string, { displayName: 'Renamed Person' });
    connector.simulator.control.deleteUser(tenant.id, soft as string);
    connector.simulator.control.deleteUser(tenant.id, hard as string, { hard: true });
    const group = tenant.groupOrder[0] as string;
    const removedMember = [...(tenant.members.get(group) ?? [])][0] as string;
    connector.simulator.control.removeMember(tenant.id, group, removedMember);
    connector.simulator.control.addMember(tenant.id, group, added.id);
    const voiceUser = [...tenant.teamsConfigurations.keys()][0] as string;
    const freeNumber = [...tenant.numberAssignments.values()].find((number) => !number.assignmentTargetId)
      ?.telephoneNumber as string;
    connector.simulator.control.setNumberAssignment(tenant.id, freeNumber, voiceUser);

    const { outcome } = await run();
    expect(outcome).toBe('completed');
    await expectReplicaEqualsTenant();
    const changes = (await feedSince(cursor)).map((change) => `${change.kind}:${change.op}:${change.id}`);
    const expected = [
      `user:upsert:${added.id}`,
      `user:upsert:${renamed}`,
      `user:delete:${soft}`,
      `user:delete:${hard}`,
      `member:delete:${group}|${removedMember}`,
      `member:upsert:${group}|${added.id}`,
      `voice:upsert:${voiceUser}`,
      `number:upsert:${freeNumber}`,
    ];
    // Deleting users also removed their memberships.
    const removedMemberships = changes.filter(
      (change) =>
        change.startsWith('member:delete:') && (change.endsWith(`|${soft}`) || change.endsWith(`|${hard}`)),
    );
    expect(changes.sort()).toEqual([...expected, ...removedMemberships].sort());
    cursor = (await feedSince(cursor)).at(-1)?.seq;
  });

  it('starts over with a full enumeration when the delta links expired, removes what is gone and rewrites only what changed', async () => {
    connector.simulator.control.expireDeltaTokens(tenant.id);
    const gone =
      tenant.userOrder.find(
        (id) => tenant.users.has(id) && ![...tenant.members.values()].some((set) => set.has(id)),
      ) ?? (tenant.userOrder[30] as string);
    connector.simulator.control.deleteUser(tenant.id, gone, { hard: true });
    const renamed = tenant.userOrder.find((id) => tenant.users.has(id)) as string;
    connector.simulator.control.updateUser(tenant.id, renamed, { displayName: 'Enumerated Again' });
    const etags = async () => {
      const rows = (await connector.rows(tableNames.replica)).filter((row) =>
        String(row.partitionKey).startsWith(`${tenant.id}|`),
      );
      return new Map(rows.map((row) => [String(row.rowKey), String(row.etag)]));
    };
    const before = await etags();
    const { outcome } = await run();
    expect(outcome).toBe('completed');
    await expectReplicaEqualsTenant();
    const changes = await feedSince(cursor);
    expect(
      changes.filter((change) => change.kind === 'user' && change.op === 'delete').map((change) => change.id),
    ).toEqual([gone]);
    // An object the enumeration found unchanged costs no write: every other row keeps its etag.
    const after = await etags();
    const rewritten = [...after].filter(([rowKey, etag]) => before.get(rowKey) !== etag).map(([key]) => key);
    expect(rewritten).toEqual([`user|${renamed}`]);
    const removed = [...before.keys()].filter((rowKey) => !after.has(rowKey));
    expect(removed).toContain(`user|${gone}`);
    expect(removed.filter((rowKey) => !rowKey.endsWith(`|${gone}`))).toEqual([]);
    expect(before.size).toBeGreaterThan(150);
    cursor = changes.at(-1)?.seq;
  });

  it('rides out a burst of 429s by honouring Retry-After', async () => {
    connector.simulator.control.updateUser(tenant.id, tenant.userOrder[40] as string, {
      jobTitle: 'x',
      displayName: 'Throttled Rename',
    });
    connector.simulator.control.injectFault({
      path: '/users/delta',
      status: 429,
      retryAfterSeconds: 1,
      count: 2,
    });
    const started = Date.now();
    const { outcome } = await run();
    expect(outcome).toBe('completed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    await expectReplicaEqualsTenant();
  });

  it.each([
    ['between storing the changes of a page and its rows', 'feed'],
    ['between storing a page and checkpointing it', 'checkpoint'],
  ])('loses nothing and repeats nothing after a crash %s', async (_, where) => {
    cursor = (await feedSince(cursor)).at(-1)?.seq ?? cursor;
    const renamed = tenant.userOrder.filter((id) => tenant.users.has(id)).slice(0, 15);
    for (const id of renamed)
      connector.simulator.control.updateUser(tenant.id, id, {
        displayName: `Crash ${where} ${id.slice(0, 4)}`,
      });
    const app = services();
    class CrashingFeed extends ChangeFeed {
      override async append(...args: Parameters<ChangeFeed['append']>) {
        const appended = await super.append(...args);
        if (where === 'feed') throw new Error('the worker died');
        return appended;
      }
    }
    class CrashingStore extends ReplicaStore {
      override async flush(...args: Parameters<ReplicaStore['flush']>) {
        const flushed = await super.flush(...args);
        if (where === 'checkpoint')
          throw new Error(`the worker died after ${flushed.transactions} transactions`);
        return flushed;
      }
    }
    const crashing = workerWith('replication-crash-test', {
      replica: new CrashingStore(
        dependencies().storage.table(tableNames.replica),
        new CrashingFeed(dependencies().storage.table(tableNames.replicaChanges)),
      ),
    });
    const created = await app.replicationScheduler.createRun(tenant.id, 'on_demand');
    const job = { tenantId: tenant.id, runId: created.runId };
    await expect(crashing.process(job)).rejects.toThrow('the worker died');
    expect(await app.replicationWorker.process(job)).toBe('completed');
    await expectReplicaEqualsTenant();
    const changes = await feedSince(cursor);
    expect(changes.map((change) => `${change.kind}:${change.op}:${change.id}`).sort()).toEqual(
      renamed.map((id) => `user:upsert:${id}`).sort(),
    );
    expect(changes.map((change) => change.data?.displayName)).toEqual(
      changes.map((change) => tenant.users.get(change.id)?.displayName),
    );
    cursor = changes.at(-1)?.seq;
  });

  it('does nothing for a duplicate message of a finished run', async () => {
    const { job } = await run();
    const before = (await replica()).changes.length;
    expect(await services().replicationWorker.process(job)).toBe('already_done');
    expect((await replica()).changes.length).toBe(before);
  });

  it('lets only one of two racing workers replicate a tenant; the other backs off', async () => {
    const created = await services().replicationScheduler.createRun(tenant.id, 'on_demand');
    const job = { tenantId: tenant.id, runId: created.runId };
    const outcomes = await Promise.all([
      services().replicationWorker.process(job),
      services().replicationWorker.process(job),
    ]);
    expect(outcomes.sort()).toEqual(['completed', 'deferred']);
  });

  it('replicates over several slices, each resuming where the last stopped', async () => {
    connector.simulator.control.expireDeltaTokens(tenant.id);
    const app = services();
    const sliced = workerWith('replication-slices-test', { sliceMs: 1 });
    const created = await app.replicationScheduler.createRun(tenant.id, 'on_demand');
    const job = { tenantId: tenant.id, runId: created.runId };
    let outcome = '';
    let invocations = 0;
    while (outcome !== 'completed' && invocations < 200) {
      outcome = await sliced.process(job);
      invocations += 1;
    }
    expect(outcome).toBe('completed');
    expect(invocations).toBeGreaterThan(10);
    expect(Number((await runRecord(job.runId))?.slices)).toBe(invocations);
    await expectReplicaEqualsTenant();
  });

  it('stays exact when it stores in many small flushes while planning goes on', async () => {
    cursor = (await feedSince(cursor)).at(-1)?.seq ?? cursor;
    const renamed = tenant.userOrder.filter((id) => tenant.users.has(id)).slice(5, 10);
    for (const id of renamed)
      connector.simulator.control.updateUser(tenant.id, id, { displayName: `Flushed ${id.slice(0, 4)}` });
    const [removedGroup, grownGroup] = tenant.groupOrder.filter((id) => tenant.groups.has(id)) as string[];
    connector.simulator.control.deleteGroup(tenant.id, removedGroup as string);
    for (const id of renamed) connector.simulator.control.addMember(tenant.id, grownGroup as string, id);
    const worker = workerWith('replication-small-flushes-test', { writesPerFlush: 3 });
    const { job, outcome } = await run(worker);
    expect(outcome).toBe('completed');
    await expectReplicaEqualsTenant();
    const changes = (await feedSince(cursor)).map((change) => `${change.kind}:${change.op}:${change.id}`);
    expect(new Set(changes).size).toBe(changes.length);
    for (const id of renamed) expect(changes).toContain(`user:upsert:${id}`);
    expect(changes).toContain(`group:delete:${removedGroup}`);
    expect(Number(JSON.parse(String((await runRecord(job.runId))?.counts)).transactions)).toBeGreaterThan(5);
    cursor = (await feedSince(cursor)).at(-1)?.seq;
  });

  it('fetches Graph’s pages ahead while a re-enumeration reads what is stored, and still writes only what changed', async () => {
    cursor = (await feedSince(cursor)).at(-1)?.seq ?? cursor;
    connector.simulator.control.expireDeltaTokens(tenant.id);
    const renamed = tenant.userOrder.filter((id) => tenant.users.has(id))[11] as string;
    connector.simulator.control.updateUser(tenant.id, renamed, { displayName: 'Read Ahead' });
    const app = services();
    const fetchedWhileReading: number[] = [];
    const slowReads = Object.assign(Object.create(app.replica) as ReplicaStore, {
      stateIndex: async (...args: Parameters<ReplicaStore['stateIndex']>) => {
        const before = connector.simulator.graph.requestCount;
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        fetchedWhileReading.push(connector.simulator.graph.requestCount - before);
        return app.replica.stateIndex(...args);
      },
    });
    const { outcome } = await run(workerWith('replication-read-ahead-test', { replica: slowReads }));
    expect(outcome).toBe('completed');
    // Users and groups were each read whole (both delta links expired); Graph's pages came meanwhile.
    expect(fetchedWhileReading.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...fetchedWhileReading), String(fetchedWhileReading)).toBeGreaterThan(15);
    await expectReplicaEqualsTenant();
    const changes = (await feedSince(cursor)).map((change) => `${change.kind}:${change.op}:${change.id}`);
    expect(changes).toEqual([`user:upsert:${renamed}`]);
    cursor = (await feedSince(cursor)).at(-1)?.seq;
  });

  it('replicates a tenant with one run at a time: a second run waits until the first finished', async () => {
    connector.simulator.control.expireDeltaTokens(tenant.id);
    const app = services();
    const sliced = workerWith('replication-one-at-a-time-test', { sliceMs: 1 });
    const job = async () => ({
      tenantId: tenant.id,
      runId: (await app.replicationScheduler.createRun(tenant.id, 'on_demand')).runId,
    });
    const first = await job();
    expect(await sliced.process(first)).toBe('continued');
    const second = await job();
    expect(await app.replicationWorker.process(second)).toBe('deferred');
    expect(await runRecord(second.runId)).toMatchObject({ status: 'queued', slices: 0 });
    let outcome = '';
    for (let i = 0; i < 200 && outcome !== 'completed'; i += 1) outcome = await sliced.process(first);
    expect(outcome).toBe('completed');
    expect(await app.replicationWorker.process(second)).toBe('completed');
    await expectReplicaEqualsTenant();
  });

  it('removes what left a whole list even when it read the list over many slices', async () => {
    cursor = (await feedSince(cursor)).at(-1)?.seq ?? cursor;
    // A user keeps their account but loses their Teams configuration; a number leaves the tenant.
    const voiceGone = [...tenant.teamsConfigurations.keys()][0] as string;
    tenant.teamsConfigurations.delete(voiceGone);
    const numberGone = [...tenant.numberAssignments.keys()].at(-1) as string;
    tenant.numberAssignments.delete(numberGone);
    const sliced = workerWith('replication-listed-test', { sliceMs: 1, listPageSize: 5 });
    const created = await services().replicationScheduler.createRun(tenant.id, 'on_demand');
    const job = { tenantId: tenant.id, runId: created.runId };
    let outcome = '';
    let invocations = 0;
    for (; invocations < 200 && outcome !== 'completed'; invocations += 1)
      outcome = await sliced.process(job);
    expect(outcome).toBe('completed');
    expect(invocations).toBeGreaterThan(Math.ceil(tenant.teamsConfigurations.size / 4));
    await expectReplicaEqualsTenant();
    const removals = (await feedSince(cursor))
      .filter((change) => change.op === 'delete')
      .map((change) => `${change.kind}:${change.id}`);
    expect(removals.sort()).toEqual([`number:${numberGone}`, `voice:${voiceGone}`].sort());
    const leftOver = (await connector.rows(tableNames.tenants)).filter((row) =>
      String(row.rowKey).startsWith(`listed|${job.runId}|`),
    );
    expect(leftOver).toEqual([]);
    cursor = (await feedSince(cursor)).at(-1)?.seq;
  });

  it('keeps the removals a delta phase holds back across slices, and stores them at its end', async () => {
    cursor = (await feedSince(cursor)).at(-1)?.seq ?? cursor;
    const gone = tenant.userOrder
      .filter((id) => tenant.users.has(id))
      .filter((_, i) => i % 9 === 2)
      .slice(0, 4);
    for (const id of gone) connector.simulator.control.deleteUser(tenant.id, id, { hard: true });
    // One removal a page: the users phase spans a slice per page.
    connector.simulator.control.setGraphConfig({ usersDeltaPageSize: 1 });
    const sliced = workerWith('replication-deferred-test', { sliceMs: 1 });
    const created = await services().replicationScheduler.createRun(tenant.id, 'on_demand');
    const job = { tenantId: tenant.id, runId: created.runId };
    let outcome = '';
    let invocations = 0;
    for (; invocations < 200 && outcome !== 'completed'; invocations += 1)
      outcome = await sliced.process(job);
    connector.simulator.control.setGraphConfig({ usersDeltaPageSize: 7 });
    expect(outcome).toBe('completed');
    expect(invocations).toBeGreaterThan(3);
    await expectReplicaEqualsTenant();
    const removals = (await feedSince(cursor)).filter(
      (change) => change.op === 'delete' && change.kind === 'user',
    );
    expect(removals.map((change) => change.id).sort()).toEqual([...gone].sort());
    const leftOver = (await connector.rows(tableNames.tenants)).filter((row) =>
      String(row.rowKey).startsWith(`deferred|${job.runId}|`),
    );
    expect(leftOver).toEqual([]);
    cursor = (await feedSince(cursor)).at(-1)?.seq;
  });

  it('fails a run once on revoked consent, marks the tenant, and tells the core, without retrying', async () => {
    connector.simulator.control.revokeConsent(tenant.id, clientId);
    // Issued tokens stay valid until they expire; a new process (a new token cache) meets the revocation.
    const fresh = workerWith('replication-revoked-test', {
      tokens: new AppTokenProvider(dependencies().settings),
    });
    const { job, outcome } = await run(fresh);
    expect(outcome).toBe('failed');
    expect(await runRecord(job.runId)).toMatchObject({
      status: 'failed',
      reason: 'credentials do not work: app_not_found',
    });
    expect((await connector.call('GET', `/tenants/${tenant.id}`)).body.status).toBe('credentials_invalid');
    const second = await run(fresh);
    expect(second.outcome).toBe('failed');
    for (
      let i = 0;
      i < 100 &&
      !connector.standIn.events.some(
        (event) => event.type === 'replication.failed' && event.data.runId === second.job.runId,
      );
      i += 1
    ) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const invalid = connector.standIn.events.filter(
      (event) => event.type === 'tenant.credentials_invalid' && event.data.tenantId === tenant.id,
    );
    expect(invalid).toHaveLength(1);
  });
});
