/**
 * The kinds of object the connector replicates, in one table: each kind's RowKey prefix in the `Replica` table,
 * its name in the snapshot and the replica counts (API, CLI), the names a run reports its changes under (run
 * history, `replication.completed`), and whether its removals count against REPLICATION_DELETE_THRESHOLD
 * (objects do; memberships are links between them). The row prefixes, the snapshot's kinds and order, the counts and the run's
 * counters all derive from it, so a new kind is one line here (and its stream in replication-phases.ts).
 */
export const replicatedKinds = {
  user: {
    prefix: 'user|',
    apiName: 'users',
    upserted: 'usersUpserted',
    deleted: 'usersDeleted',
    countsAgainstDeleteThreshold: true,
  },
  group: {
    prefix: 'group|',
    apiName: 'groups',
    upserted: 'groupsUpserted',
    deleted: 'groupsDeleted',
    countsAgainstDeleteThreshold: true,
  },
  member: {
    prefix: 'member|',
    apiName: 'members',
    upserted: 'membersAdded',
    deleted: 'membersRemoved',
    countsAgainstDeleteThreshold: false,
  },
  /** A user's Teams voice settings, from the Teams user configurations (its own row: its own list and lifecycle). */
  voice: {
    prefix: 'voice|',
    apiName: 'voice',
    upserted: 'voiceUpdated',
    deleted: 'voiceRemoved',
    countsAgainstDeleteThreshold: true,
  },
  number: {
    prefix: 'number|',
    apiName: 'numbers',
    upserted: 'numbersUpserted',
    deleted: 'numbersDeleted',
    countsAgainstDeleteThreshold: true,
  },
} as const;

export type ObjectKind = keyof typeof replicatedKinds;
/** A kind as the snapshot, the counts endpoint and the CLI name it. */
export type KindApiName = (typeof replicatedKinds)[ObjectKind]['apiName'];

export const objectKinds = Object.keys(replicatedKinds) as ObjectKind[];

/** Each kind's value of `make`, keyed by the kind. */
export const byKind = <T>(make: (kind: ObjectKind) => T): Record<ObjectKind, T> =>
  Object.fromEntries(objectKinds.map((kind) => [kind, make(kind)])) as Record<ObjectKind, T>;

/** Each kind's value of `make`, keyed by its API name. */
export const byApiName = <T>(make: (kind: ObjectKind) => T): Record<KindApiName, T> =>
  Object.fromEntries(objectKinds.map((kind) => [replicatedKinds[kind].apiName, make(kind)])) as Record<
    KindApiName,
    T
  >;
