import { z } from 'zod';
import type { ChangeCounts, KindCounts } from './replica-flush.js';
import { byKind, type ObjectKind, replicatedKinds } from './replicated-kinds.js';

export const replicationPhases = ['users', 'groups', 'voice', 'numbers', 'done'] as const;
export type ReplicationPhase = (typeof replicationPhases)[number];

/** One replication run of a tenant, in its partition of `Tenants` (see tenant-partition.ts): where it is, what it did. */
/**
 * What started a run: the daily schedule, the core, Graph's change notifications (near-real-time), or a write-back
 * request whose outcome the change feed must show.
 */
export const runTriggers = ['schedule', 'on_demand', 'change_notification', 'write_back'] as const;
export type RunTrigger = (typeof runTriggers)[number];

export interface ReplicationRunRecord {
  runId: string;
  trigger: RunTrigger;
  status: RunStatus;
  /** The first stream still under way (in the phases' order), 'done' once all are: where the run shows it is. */
  phase: ReplicationPhase;
  /** Each stream's position (JSON, see replication-stream.ts): the streams are followed side by side. */
  streams?: string;
  /** A run saved before the streams ran side by side: its one phase's next page and whether it enumerated all. */
  next?: string;
  fullPhase?: boolean;
  /** The generation rows seen by full enumerations of this run are stamped with. */
  generation: number;
  counts: string;
  pages: number;
  requests: number;
  slices: number;
  /** The instance that worked the run's last slice (see instance-name.ts). */
  instance?: string;
  queuedAt: string;
  startedAt?: string;
  updatedAt: string;
  finishedAt?: string;
  reason?: string;
  /** The position of the last change this run reported. */
  cursor?: string;
  /** Where the next flush's changes go in the feed (see ChangeFeed). */
  feedBase?: string;
  /** What an operator should know of the run (JSON array of sentences), e.g. a list whose end was not confirmed. */
  notes?: string;
  /** Removals this run held back for an operator (JSON, per object kind): more than the threshold allows. */
  held?: string;
  /** For a run that held removals: what became of the hold. */
  hold?: HoldState;
  /** This run releases the hold of that run: it may store every removal it finds. */
  releaseOf?: string;
  /** For a held run: the run an operator started to release it. */
  releasedBy?: string;
  /** Since when the run waits out a fault that is not its tenant's, and which (it fails past the horizon). */
  waitingSince?: string;
  waitingFor?: string;
}

export const runStatuses = ['queued', 'running', 'completed', 'held', 'failed', 'skipped'] as const;
export type RunStatus = (typeof runStatuses)[number];
/** A run that ended: held is an end too (everything else it found is stored). */
export const runEnded = (status: RunStatus) => !['queued', 'running'].includes(status);

/** holding: nothing removed, waiting for an operator; then released, dropped (a later run no longer saw the
 * removals) or superseded (a later run held them instead). */
export const holdStates = ['holding', 'released', 'dropped', 'superseded'] as const;
export type HoldState = (typeof holdStates)[number];

/** The tenant's replication state: delta links, each saved only after the changes it covers are stored. */
export interface ReplicationState {
  usersDeltaLink?: string;
  groupsDeltaLink?: string;
  /** The newest feed base handed to a run: later flushes take later ones. */
  feedBase?: string;
  /** The run replicating the tenant now ('' or absent when none): others wait for it. */
  activeRun?: string;
  /** The run whose held removals wait for an operator ('' or absent when none). */
  heldRun?: string;
}

/**
 * What a run reports of each object kind, under the names the run history and `replication.completed` use: the
 * one table from the kinds the replica counts in to those names.
 */
export const runCountNames = byKind((kind) => ({
  upserted: replicatedKinds[kind].upserted,
  deleted: replicatedKinds[kind].deleted,
})) satisfies Record<ObjectKind, Record<keyof KindCounts, string>>;

type CountName = (typeof replicatedKinds)[ObjectKind][keyof KindCounts];
export type RunCounts = Record<CountName | 'transactions', number>;

export const emptyCounts = (): RunCounts =>
  Object.fromEntries([
    ...Object.values(runCountNames).flatMap((names) => [
      [names.upserted, 0],
      [names.deleted, 0],
    ]),
    ['transactions', 0],
  ]) as RunCounts;

/** Adds what a flush stored to a run's counts. */
export function addFlushed(counts: RunCounts, flushed: { counts: ChangeCounts; transactions: number }): void {
  for (const [kind, names] of Object.entries(runCountNames) as [
    ObjectKind,
    (typeof runCountNames)[ObjectKind],
  ][]) {
    counts[names.upserted] += flushed.counts[kind].upserted;
    counts[names.deleted] += flushed.counts[kind].deleted;
  }
  counts.transactions += flushed.transactions;
}

export const replicationRunViewSchema = z.object({
  runId: z.string(),
  trigger: z.enum(runTriggers),
  status: z.enum(runStatuses),
  phase: z.enum(replicationPhases),
  counts: z.record(z.string(), z.number()),
  pages: z.number().int(),
  requests: z.number().int(),
  slices: z.number().int(),
  instance: z
    .string()
    .optional()
    .describe(
      'The Function App instance that worked the last slice (host name:process id): whose logs to read',
    ),
  queuedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().optional(),
  finishedAt: z.iso.datetime().optional(),
  elapsedSeconds: z.number().optional(),
  reason: z.string().optional(),
  cursor: z.string().optional(),
  notes: z.array(z.string()).optional().describe('What an operator should know of the run'),
  held: z
    .object({
      removals: z.record(z.string(), z.number().int()).describe('Removals held back, by object kind'),
      state: z.enum(holdStates),
      releasedBy: z.string().optional().describe('The run started to release it'),
    })
    .optional()
    .describe(
      'Removals the run held back because they were more than REPLICATION_DELETE_THRESHOLD allows: nothing of them was removed. POST …/release stores them.',
    ),
  releaseOf: z.string().optional().describe('The run whose held removals this run releases'),
  waiting: z
    .object({ since: z.iso.datetime(), reason: z.string() })
    .optional()
    .describe(
      'The run waits out a fault that is not the tenant’s, retrying, until REPLICATION_RETRY_HORIZON_HOURS',
    ),
});
export type ReplicationRunView = z.infer<typeof replicationRunViewSchema>;

export function toRunView(record: ReplicationRunRecord, now = new Date()): ReplicationRunView {
  const end = record.finishedAt ? Date.parse(record.finishedAt) : now.getTime();
  return {
    runId: record.runId,
    trigger: record.trigger,
    status: record.status,
    phase: record.phase,
    counts: JSON.parse(record.counts),
    pages: record.pages,
    requests: record.requests,
    slices: record.slices,
    ...(record.instance ? { instance: record.instance } : {}),
    queuedAt: record.queuedAt,
    ...(record.startedAt
      ? {
          startedAt: record.startedAt,
          elapsedSeconds: Math.round((end - Date.parse(record.startedAt)) / 100) / 10,
        }
      : {}),
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
    ...(record.reason ? { reason: record.reason } : {}),
    ...(record.cursor ? { cursor: record.cursor } : {}),
    ...(record.notes ? { notes: JSON.parse(record.notes) } : {}),
    ...(record.held
      ? {
          held: {
            removals: JSON.parse(record.held),
            state: record.hold ?? 'holding',
            ...(record.releasedBy ? { releasedBy: record.releasedBy } : {}),
          },
        }
      : {}),
    ...(record.releaseOf ? { releaseOf: record.releaseOf } : {}),
    ...(record.waitingSince && record.waitingFor && !runEnded(record.status)
      ? { waiting: { since: record.waitingSince, reason: record.waitingFor } }
      : {}),
  };
}

/** This row kind in a tenant's partition (see tenants/tenant-partition.ts). */
declare module '../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    run: ReplicationRunRecord;
    replicationState: ReplicationState;
  }
}
