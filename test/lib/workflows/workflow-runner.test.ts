import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { describe, expect, inject, it } from 'vitest';
import type { Outbox } from '../../../src/lib/events/outbox.js';
import { GraphError } from '../../../src/lib/graph/graph-client.js';
import { EntityTable } from '../../../src/lib/storage/entity-table.js';
import { MessageQueue } from '../../../src/lib/storage/message-queue.js';
import type { TenantTable } from '../../../src/lib/tenants/tenant-partition.js';
import { backoffMs } from '../../../src/lib/workflows/backoff.js';
import {
  describeAdvance,
  type StepResult,
  type WorkflowRow,
  WorkflowRunner,
} from '../../../src/lib/workflows/workflow-runner.js';

interface ToyRow extends WorkflowRow {
  state: 'a' | 'b' | 'done';
  visits: number;
}
type Job = { tenantId: string };

/** A toy workflow a → b → done, whose steps do what the test says, on Azurite through the real clients. */
function toy(script: (row: ToyRow) => Promise<StepResult<ToyRow>> | StepResult<ToyRow>) {
  const name = randomUUID().replaceAll('-', '');
  const table = new EntityTable<ToyRow & { until?: string; holder?: string }>(
    TableClient.fromConnectionString(inject('storageConnectionString'), `wf${name}`, {
      allowInsecureConnection: true,
    }),
  );
  const queueClient = new QueueClient(inject('storageConnectionString'), `wf-${name}`);
  const outbox = { stage: () => [], kick: async () => undefined } as unknown as Outbox;
  const runner = new WorkflowRunner<ToyRow, Job>(
    {
      name: 'toy',
      keys: ({ tenantId }) => ({ partition: tenantId, rowKey: 'toy', leaseRowKey: 'toy-lease' }),
      jobOf: (tenantId) => ({ tenantId }),
      rowPrefix: 'toy',
      working: (row) => row.state !== 'done',
      step: async (row) => script(row.entity),
      leaseTtlMs: 30_000,
      sweepAfterMs: 60_000,
    },
    new MessageQueue<Job>(queueClient),
    { table: table as unknown as TenantTable, outbox },
  );
  const tenantId = randomUUID();
  const start = (changes: Partial<ToyRow> = {}) =>
    table.insert({
      partitionKey: tenantId,
      rowKey: 'toy',
      state: 'a',
      visits: 0,
      updatedAt: new Date().toISOString(),
      ...changes,
    });
  const row = async () => (await table.get(tenantId, 'toy'))?.entity;
  const queued = async () => {
    await queueClient.createIfNotExists();
    return (await queueClient.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length;
  };
  const hidden = async () => {
    await queueClient.createIfNotExists();
    return (await queueClient.getProperties()).approximateMessagesCount ?? 0;
  };
  return { runner, tenantId, start, row, queued, hidden, table };
}

const forward = (row: ToyRow): StepResult<ToyRow> => ({
  next: { state: row.state === 'a' ? 'b' : 'done', visits: row.visits + 1 },
});

describe('WorkflowRunner (one runner for every durable workflow)', () => {
  it('takes a workflow through its steps, saving each with its etag, and sends nothing once it is finished', async () => {
    const w = toy(forward);
    await w.start();
    const finished = await w.runner.work({ tenantId: w.tenantId });
    expect(finished).toEqual({ outcome: 'finished', moved: true });
    expect(await w.row()).toMatchObject({ state: 'done', visits: 2, attempts: 0 });
    expect(await w.hidden()).toBe(0);
    // A later message for it (a nudge) finds nothing to do, and the log says so rather than "finished" again.
    const again = await w.runner.work({ tenantId: w.tenantId });
    expect([describeAdvance(finished), describeAdvance(again)]).toEqual([
      'finished',
      'nothing left to do (ended before)',
    ]);
  });

  it('waits out a fault that passes by the one backoff, and the message that made the attempt is the one that comes back', async () => {
    let fail = true;
    const w = toy((row) => {
      if (fail) throw new GraphError(503, 'serviceUnavailable', 'Graph is busy');
      return forward(row);
    });
    await w.start();
    const waited = await w.runner.work({ tenantId: w.tenantId });
    expect(waited).toEqual({ outcome: 'waiting', waitMs: backoffMs(1) });
    const saved = await w.row();
    expect(saved).toMatchObject({
      state: 'a',
      attempts: 1,
      lastError: 'Graph 503 serviceUnavailable: Graph is busy',
    });
    expect(Date.parse(saved?.nextAttemptAt ?? '')).toBeGreaterThan(Date.now() + backoffMs(1) - 5_000);
    expect(await w.hidden()).toBe(1);
    // A nudge (a repeated request, the sweep) before the attempt is due ends without sending another message.
    fail = false;
    expect(await w.runner.work({ tenantId: w.tenantId })).toEqual({ outcome: 'not_due' });
    expect(await w.hidden()).toBe(1);
    expect((await w.row())?.state).toBe('a');
  });

  it('sends a redelivered message back for when the wait ends: its worker died after saving the wait', async () => {
    const w = toy(forward);
    const later = new Date(Date.now() + 60_000).toISOString();
    await w.start({ nextAttemptAt: later });
    expect(await w.runner.work({ tenantId: w.tenantId })).toEqual({ outcome: 'not_due' });
    expect(await w.hidden()).toBe(0);
    const again = await w.runner.work({ tenantId: w.tenantId }, { dequeueCount: 2 });
    expect(again.outcome).toBe('waiting');
    expect(await w.hidden()).toBe(1);
  });

  it('throws a fault that does not pass, so the queue retries the message and poisons it in the end', async () => {
    const w = toy(() => {
      throw new TypeError('a bug');
    });
    await w.start();
    await expect(w.runner.work({ tenantId: w.tenantId })).rejects.toThrow('a bug');
    expect(await w.row()).toMatchObject({ state: 'a', visits: 0 });
  });

  it('records a poisoned message on the row and takes the workflow up again later', async () => {
    const w = toy(forward);
    await w.start();
    expect(await w.runner.poisoned({ tenantId: w.tenantId }, 'failed five times')).toBe(true);
    expect(await w.row()).toMatchObject({ attempts: 1, lastError: 'toy: failed five times' });
    expect(await w.hidden()).toBe(1);
    await w.table.update(
      { ...((await w.row()) as ToyRow & { partitionKey: string; rowKey: string }), state: 'done' },
      '*',
    );
    expect(await w.runner.poisoned({ tenantId: w.tenantId }, 'again')).toBe(false);
  });

  it('sweeps only working rows whose next attempt is long overdue', async () => {
    const w = toy(forward);
    const past = new Date(Date.now() - 10 * 60_000).toISOString();
    await w.start({ updatedAt: past });
    expect(await w.runner.sweep()).toEqual({ queued: 1 });
    expect(await w.queued()).toBe(1);
    const fresh = toy(forward);
    await fresh.start();
    expect(await fresh.runner.sweep()).toEqual({ queued: 0 });
  });

  it('ends a nudge that finds another worker on the lease, but sends a redelivered message back for when it ends', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const w = toy(async (row) => {
      await held;
      return forward(row);
    });
    await w.start();
    const first = w.runner.advance({ tenantId: w.tenantId });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await w.runner.work({ tenantId: w.tenantId });
    expect(second.outcome).toBe('busy');
    expect(await w.hidden()).toBe(0);
    // The holder's own message, delivered again because it died, comes back when the lease ends.
    const redelivered = await w.runner.work({ tenantId: w.tenantId }, { dequeueCount: 2 });
    expect(redelivered.outcome).toBe('waiting');
    expect(await w.hidden()).toBe(1);
    release();
    expect(await first).toEqual({ outcome: 'finished', moved: true });
    expect((await w.row())?.visits).toBe(2);
  });

  it('keeps a short wait a step sets (a poll a second later), not taken at once as a message the queue sent early would be', async () => {
    const w = toy((row) =>
      row.state === 'a'
        ? { next: { visits: row.visits + 1, nextAttemptAt: new Date(Date.now() + 1_500).toISOString() } }
        : forward(row),
    );
    await w.start();
    const polled = await w.runner.work({ tenantId: w.tenantId });
    expect(polled.outcome).toBe('waiting');
    expect(polled.outcome === 'waiting' && polled.waitMs).toBeGreaterThan(1_000);
    // One poll, not a loop of them inside the slack.
    expect(await w.row()).toMatchObject({ state: 'a', visits: 1 });
    expect(await w.hidden()).toBe(1);
    // The message that comes back a little early (the queue's clock) takes the step.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await w.runner.work({ tenantId: w.tenantId })).outcome).toBe('waiting');
    expect(await w.row()).toMatchObject({ state: 'a', visits: 2 });
  });

  it('waits when a step moves the workflow to an attempt due later: this message comes back then, and a request may take it early', async () => {
    const w = toy((row) =>
      row.state === 'a'
        ? { next: { state: 'b', visits: 1, nextAttemptAt: new Date(Date.now() + 60_000).toISOString() } }
        : forward(row),
    );
    await w.start();
    const moved = await w.runner.work({ tenantId: w.tenantId });
    expect(moved.outcome).toBe('waiting');
    expect(await w.row()).toMatchObject({ state: 'b', visits: 1 });
    expect(await w.hidden()).toBe(1);
    expect(await w.runner.work({ tenantId: w.tenantId })).toEqual({ outcome: 'not_due' });
    expect(await w.runner.work({ tenantId: w.tenantId }, { dueNow: true })).toEqual({
      outcome: 'finished',
      moved: true,
    });
    expect(await w.row()).toMatchObject({ state: 'done', visits: 2 });
  });

  it('reads a row changed under it again and takes its step again; runs `after` once the step is committed; keeps what a run learnt for its later steps', async () => {
    let changedUnder = false;
    const afters: string[] = [];
    const w = toy(async (row) => {
      if (!changedUnder) {
        changedUnder = true;
        const stored = await w.table.get(w.tenantId, 'toy');
        if (stored) await w.table.update({ ...stored.entity, visits: 10 }, stored.etag);
      }
      return { ...forward(row), after: async () => void afters.push(row.state) };
    });
    await w.start();
    expect(await w.runner.work({ tenantId: w.tenantId })).toEqual({ outcome: 'finished', moved: true });
    expect(await w.row()).toMatchObject({ state: 'done', visits: 12 });
    expect(afters).toEqual(['a', 'b']);
  });

  it('gives each run of steps an empty scratch that its later steps see', async () => {
    const seen: unknown[] = [];
    const name = randomUUID().replaceAll('-', '');
    const table = new EntityTable<ToyRow>(
      TableClient.fromConnectionString(inject('storageConnectionString'), `wf${name}`, {
        allowInsecureConnection: true,
      }),
    );
    const runner = new WorkflowRunner<ToyRow, Job, { token?: string }>(
      {
        name: 'scratch',
        keys: ({ tenantId }) => ({ partition: tenantId, rowKey: 'toy', leaseRowKey: 'toy-lease' }),
        jobOf: (tenantId) => ({ tenantId }),
        rowPrefix: 'toy',
        working: (row) => row.state !== 'done',
        step: async (row, _now, run) => {
          seen.push(run.token);
          run.token = 'fresh';
          return forward(row.entity);
        },
        leaseTtlMs: 30_000,
        sweepAfterMs: 60_000,
      },
      new MessageQueue<Job>(new QueueClient(inject('storageConnectionString'), `wf-${name}`)),
      {
        table: table as unknown as TenantTable,
        outbox: { stage: () => [], kick: async () => undefined } as unknown as Outbox,
      },
    );
    const tenantId = randomUUID();
    await table.insert({ partitionKey: tenantId, rowKey: 'toy', state: 'a', visits: 0, updatedAt: '' });
    await runner.work({ tenantId });
    expect(seen).toEqual([undefined, 'fresh']);
  });
});
