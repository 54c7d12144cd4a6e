import { describe, expect, it } from 'vitest';
import type { TenantState } from '../../sim/tenant/tenant-state.js';
import { until } from '../support/eventually.js';
import { feedViolations } from '../support/feed-invariant.js';
import { onboardManually } from '../support/onboard-manually.js';
import type { BatchSeen, Kill } from '../support/storage-proxy.js';
import { useConnector } from '../support/use-connector.js';

/** How long the dead worker's tenant lease and its queue message hold the run up, made small. */
const leaseSeconds = 5;
const messageLeaseSeconds = 3;
/**
 * How long a run may take to reach a kill point or its end: minutes, not seconds. On a machine busy with other work
 * the 10,000-user first sync took over four minutes (three CPU-bound processes beside it on two cores); a wait of
 * two minutes failed it while it was still working.
 */
const runWaitMs = 480_000;
const connector = useConnector(
  { REPLICATION_LEASE_SECONDS: String(leaseSeconds) },
  { queueMessageLeaseSeconds: messageLeaseSeconds },
);

type Written = 'feed' | 'rows' | 'checkpoint' | 'other';

/** What a transaction writes: the change feed, replica rows, a run's checkpoint, or something else. */
function written(batch: BatchSeen): Written {
  if (batch.table === 'ReplicaChanges') return 'feed';
  if (batch.table === 'Replica') return 'rows';
  if (batch.table === 'Tenants' && /RowKey='run(%7C|\|)/.test(batch.body)) return 'checkpoint';
  return 'other';
}

/** The transactions one host process sent, in order. */
class Sent {
  readonly kinds: Written[] = [];
  get last(): Written | undefined {
    return this.kinds.at(-1);
  }
  /** Whether this host stored a flush of its own (not only finished one an earlier host began). */
  get flushed(): boolean {
    return this.kinds.includes('feed');
  }
  rowsSinceFeed(): number {
    const feed = this.kinds.lastIndexOf('feed');
    return feed < 0 ? 0 : this.kinds.slice(feed + 1).filter((kind) => kind === 'rows').length;
  }
}

interface KillPoint {
  name: string;
  verdict: Kill;
  at: (kind: Written, sent: Sent, batch: BatchSeen) => boolean;
}

/** A checkpoint that saves marks of rows a full enumeration saw unchanged (see SeenKeys). */
const savesSeenMarks = (kind: Written, batch: BatchSeen) =>
  kind === 'checkpoint' && /RowKey='seen(%7C|\|)/.test(batch.body);

const killPoints = {
  duringFeed: {
    name: 'while a flush stores its changes (after its first feed transaction)',
    verdict: 'kill-before',
    at: (kind, sent) => kind === 'feed' && sent.last === 'feed',
  },
  betweenFeedAndRows: {
    name: 'between a flush’s changes and its rows',
    verdict: 'kill-before',
    at: (kind, sent) => kind === 'rows' && sent.last === 'feed',
  },
  duringRows: {
    name: 'while a flush stores its rows (40 transactions in)',
    verdict: 'kill-before',
    at: (kind, sent) => kind === 'rows' && sent.rowsSinceFeed() === 39,
  },
  beforeCheckpoint: {
    name: 'as the checkpoint after a flush is written',
    verdict: 'kill-before',
    at: (kind, sent) => kind === 'checkpoint' && sent.flushed && sent.last === 'rows',
  },
  afterCheckpoint: {
    name: 'once that checkpoint is written, before the host hears so',
    verdict: 'kill-after',
    at: (kind, sent) => kind === 'checkpoint' && sent.flushed && sent.last === 'rows',
  },
  afterSeenCheckpoint: {
    name: 'once a checkpoint of a full enumeration saved what it saw unchanged, before the host hears so',
    verdict: 'kill-after',
    at: (kind, _, batch) => savesSeenMarks(kind, batch),
  },
  beforeSeenCheckpoint: {
    name: 'as a checkpoint of a full enumeration saves what it saw unchanged',
    verdict: 'kill-before',
    at: (kind, _, batch) => savesSeenMarks(kind, batch),
  },
} satisfies Record<string, KillPoint>;

interface Crash {
  point: string;
  /** From the kill to the run working again (the new host's first write of the run or its rows). */
  resumedAfterMs: number;
}

/**
 * Runs one replication run of `tenantId` to its end, killing the host (SIGKILL) at each of `points` in turn and
 * starting it again; returns the run and when it resumed after each kill.
 */
async function runThroughCrashes(tenantId: string, points: KillPoint[]) {
  const proxy = connector.storageProxy;
  const host = connector.hostProcess;
  if (!proxy || !host) throw new Error('the crash tests need the host process');
  const crashes: Crash[] = [];
  let sent = new Sent();
  let next = 0;
  let killedAt = 0;
  let resumed: (() => void) | undefined;
  let killed: (() => void) | undefined;
  proxy.judge = (batch) => {
    const kind = written(batch);
    const point = points[next];
    if (resumed && (kind === 'checkpoint' || kind === 'rows')) {
      const crash = { point: points[next - 1]?.name ?? '', resumedAfterMs: Date.now() - killedAt };
      crashes.push(crash);
      console.log(`killed ${crash.point}; working again ${(crash.resumedAfterMs / 1000).toFixed(1)} s later`);
      resumed();
      resumed = undefined;
    }
    if (point?.at(kind, sent, batch)) {
      next += 1;
      killedAt = Date.now();
      killed?.();
      return point.verdict;
    }
    sent.kinds.push(kind);
    return 'forward';
  };
  const queued = await connector.call('POST', `/tenants/${tenantId}/replicate`);
  expect(queued.status).toBe(202);
  const runId: string = queued.body.runId;
  const runView = async () =>
    (await connector.call('GET', `/tenants/${tenantId}/replication-runs`)).body.value.find(
      (run: { runId: string }) => run.runId === runId,
    );
  for (const point of points) {
    const kill = new Promise<void>((resolve) => {
      killed = resolve;
    });
    const outcome = await Promise.race([
      kill.then(() => 'killed'),
      until(runView, (run) => run?.status !== 'queued' && run?.status !== 'running', runWaitMs).then(
        () => 'ended',
      ),
    ]);
    expect(outcome, `the run reached the kill point ${point.name}`).toBe('killed');
    const working = new Promise<void>((resolve) => {
      resumed = resolve;
    });
    await connector.restartHost();
    sent = new Sent();
    await working;
  }
  const run = await until(runView, (view) => view?.status === 'completed', runWaitMs);
  expect(run.status).toBe('completed');
  proxy.judge = () => 'forward';
  return { run, crashes };
}

const completedEvent = (runId: string) =>
  connector.standIn.events.find(
    (event) => event.type === 'replication.completed' && event.data.runId === runId,
  );

describe('replication through host crashes (SIGKILL of the host process at chosen storage writes)', () => {
  let tenant: TenantState;
  const allCrashes: Crash[] = [];

  it('keeps the feed exactly the replica’s history through five crashes in a first sync of 10,000 users', async () => {
    const summary = connector.simulator.control.generateTenant({
      displayName: 'Crash Co',
      domain: 'crashco.onmicrosoft.com',
      seed: 13,
      sizes: {
        users: 10_000,
        groups: 1_000,
        membershipsPerUser: 3,
        voiceUsers: 1_000,
        directRoutingNumbers: 1_000,
        phoneSystemLicences: 10_000,
      },
    });
    tenant = connector.simulator.directory.tenant(summary.id);
    connector.simulator.control.setThrottleBudget(Number.MAX_SAFE_INTEGER);
    await onboardManually(connector, tenant.id);

    const { run, crashes } = await runThroughCrashes(tenant.id, [
      killPoints.duringFeed,
      killPoints.betweenFeedAndRows,
      killPoints.duringRows,
      killPoints.beforeCheckpoint,
      killPoints.afterCheckpoint,
    ]);
    allCrashes.push(...crashes);
    expect(crashes).toHaveLength(5);
    expect(await feedViolations(connector.azurite.connectionString, tenant.id)).toEqual([]);
    expect(run.counts).toMatchObject({
      usersUpserted: 10_000,
      groupsUpserted: 1_000,
      membersAdded: 30_000,
      voiceUpdated: 1_000,
      numbersUpserted: 1_000,
    });
    expect((await until(async () => completedEvent(run.runId), Boolean))?.data.counts).toEqual(run.counts);
  }, 1_200_000);

  it('does the same for an incremental run with renames, removals and new members', async () => {
    const users = tenant.userOrder.filter((id) => tenant.users.has(id));
    for (const id of users.slice(0, 300))
      connector.simulator.control.updateUser(tenant.id, id, { displayName: `Renamed ${id.slice(0, 6)}` });
    for (const id of users.slice(300, 340)) connector.simulator.control.deleteUser(tenant.id, id);
    const groups = tenant.groupOrder.filter((id) => tenant.groups.has(id));
    for (const id of groups.slice(0, 5)) connector.simulator.control.deleteGroup(tenant.id, id);
    for (const id of users.slice(400, 700))
      connector.simulator.control.addMember(tenant.id, groups[10] as string, id);

    const { run, crashes } = await runThroughCrashes(tenant.id, [
      killPoints.betweenFeedAndRows,
      killPoints.afterCheckpoint,
    ]);
    allCrashes.push(...crashes);
    expect(await feedViolations(connector.azurite.connectionString, tenant.id)).toEqual([]);
    expect(run.counts).toMatchObject({ usersUpserted: 300, usersDeleted: 40, groupsDeleted: 5 });
    expect((await until(async () => completedEvent(run.runId), Boolean))?.data.counts).toEqual(run.counts);
  }, 1_200_000);

  it('rewrites only what changed in a full re-enumeration after the delta links expired, through two crashes', async () => {
    const etags = async () => {
      const rows = (await connector.rows('Replica')).filter((row) =>
        String(row.partitionKey).startsWith(`${tenant.id}|`),
      );
      return new Map(rows.map((row) => [String(row.rowKey), String(row.etag)]));
    };
    const before = await etags();
    connector.simulator.control.expireDeltaTokens(tenant.id);
    const users = tenant.userOrder.filter((id) => tenant.users.has(id));
    const renamed = users.slice(1_000, 1_020);
    for (const id of renamed)
      connector.simulator.control.updateUser(tenant.id, id, { displayName: `Enumerated ${id.slice(0, 6)}` });
    for (const id of users.slice(2_000, 2_030)) connector.simulator.control.deleteUser(tenant.id, id);
    const groups = tenant.groupOrder.filter((id) => tenant.groups.has(id));
    for (const id of groups.slice(20, 22)) connector.simulator.control.deleteGroup(tenant.id, id);

    const { run, crashes } = await runThroughCrashes(tenant.id, [
      killPoints.afterSeenCheckpoint,
      killPoints.beforeSeenCheckpoint,
    ]);
    allCrashes.push(...crashes);
    expect(crashes).toHaveLength(2);
    expect(await feedViolations(connector.azurite.connectionString, tenant.id)).toEqual([]);
    expect(run.counts).toMatchObject({ usersUpserted: 20, usersDeleted: 30, groupsDeleted: 2 });
    const after = await etags();
    const rewritten = [...after].filter(([rowKey, etag]) => before.get(rowKey) !== etag).map(([key]) => key);
    expect(rewritten.sort()).toEqual(renamed.map((id) => `user|${id}`).sort());
    expect(before.size - after.size).toBeGreaterThanOrEqual(32);
  }, 1_200_000);

  it('then finds nothing to change, and each crash held the run up for no longer than the leases', async () => {
    const { run } = await runThroughCrashes(tenant.id, []);
    const { transactions: _transactions, ...changes } = run.counts as Record<string, number>;
    expect(Object.values(changes).every((count) => count === 0)).toBe(true);
    expect(await feedViolations(connector.azurite.connectionString, tenant.id)).toEqual([]);
    // The dead worker's message is back within its lease; the tenant lease it held ends within its term, and
    // the job that found it held comes back then; a host start and a poll on top.
    const boundMs = (messageLeaseSeconds + leaseSeconds + 10) * 1000;
    for (const crash of allCrashes) expect(crash.resumedAfterMs, crash.point).toBeLessThan(boundMs);
  }, 300_000);

  it('waits out Azure Storage answering 503 ServerBusy (an account past its targets), then completes: nothing fails', async () => {
    const proxy = connector.storageProxy;
    if (!proxy) throw new Error('the crash tests need the storage proxy');
    const renamed = tenant.userOrder.filter((id) => tenant.users.has(id)).slice(3_000, 3_050);
    for (const id of renamed)
      connector.simulator.control.updateUser(tenant.id, id, { displayName: `Busy ${id.slice(0, 6)}` });
    let busyUntil = 0;
    let refused = 0;
    proxy.judge = (batch) => {
      if (!['feed', 'rows'].includes(written(batch))) return 'forward';
      busyUntil ||= Date.now() + 12_000;
      if (Date.now() >= busyUntil) return 'forward';
      refused += 1;
      return 'busy';
    };
    const queued = await connector.call('POST', `/tenants/${tenant.id}/replicate`);
    const runView = async () =>
      (await connector.call('GET', `/tenants/${tenant.id}/replication-runs`)).body.value.find(
        (run: { runId: string }) => run.runId === queued.body.runId,
      );
    const waiting = await until(runView, (run) => run?.waiting !== undefined, 60_000);
    expect(waiting.waiting.reason).toBe('Azure Storage was busy (503 ServerBusy)');
    const run = await until(runView, (view) => view?.status === 'completed', 120_000);
    proxy.judge = () => 'forward';
    expect(refused).toBeGreaterThan(1);
    expect(run.counts).toMatchObject({ usersUpserted: 50 });
    expect(await feedViolations(connector.azurite.connectionString, tenant.id)).toEqual([]);
    await until(async () => completedEvent(run.runId), Boolean);
    const events = connector.standIn.events.filter((event) => event.data.runId === run.runId);
    expect(events.map((event) => event.type)).toEqual(['replication.completed']);
  }, 300_000);
});
