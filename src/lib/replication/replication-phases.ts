import type { ReplicaPlanner } from './replica-planner.js';
import { numberFields, type ObjectKind, type TeamsConfiguration, voiceFields } from './replica-rows.js';
import type { ReplicationPhase, ReplicationState } from './replication-run.js';

type Entry = Record<string, unknown>;

/** A Graph delta query: changes since its delta link, or everything (stamped, then swept) without one. */
export interface DeltaPhase {
  source: 'delta';
  name: ReplicationPhase;
  firstUrl: string;
  /** Where the tenant's delta link for it is kept. */
  deltaLink: keyof Pick<ReplicationState, 'usersDeltaLink' | 'groupsDeltaLink'>;
  /** The row kinds it writes: a full enumeration stamps them, and sweeps what it did not see, in this order. */
  kinds: readonly ObjectKind[];
  plan(planner: ReplicaPlanner, entries: Entry[], gen: string | undefined): Promise<void>;
}

/** A whole list (no delta): compared with what is stored, and what it no longer shows is removed. */
export interface ListPhase {
  source: 'list';
  name: ReplicationPhase;
  firstUrl: string;
  kind: ObjectKind;
  id(entry: Entry): string;
  fields(entry: Entry): object;
}

export type Phase = DeltaPhase | ListPhase;

/** What a replication run reads, in order: each phase is one entry. */
export const phases: readonly Phase[] = [
  {
    source: 'delta',
    name: 'users',
    firstUrl: '/users/delta?$select=displayName,userPrincipalName,mail,accountEnabled,usageLocation',
    deltaLink: 'usersDeltaLink',
    kinds: ['user'],
    plan: (planner, entries, gen) => planner.users(entries, gen),
  },
  {
    source: 'delta',
    name: 'groups',
    firstUrl: '/groups/delta?$select=displayName,mail,members',
    deltaLink: 'groupsDeltaLink',
    kinds: ['group', 'member'],
    plan: (planner, entries, gen) => planner.groups(entries, gen),
  },
  {
    source: 'list',
    name: 'voice',
    firstUrl: '/admin/teams/userConfigurations',
    kind: 'voice',
    id: (configuration) => String(configuration.id),
    fields: (configuration) => voiceFields(configuration as Partial<TeamsConfiguration>),
  },
  {
    source: 'list',
    name: 'numbers',
    firstUrl:
      "/admin/teams/telephoneNumberManagement/numberAssignments?$filter=numberType eq 'directRouting'",
    kind: 'number',
    id: (number) => String(number.telephoneNumber),
    fields: (number) => numberFields(number),
  },
];

export function phaseNamed(name: ReplicationPhase): Phase {
  const phase = phases.find((candidate) => candidate.name === name);
  if (!phase) throw new RangeError(`No replication phase ${name}`);
  return phase;
}

/** The phase after `name`, or 'done' after the last. */
export function phaseAfter(name: ReplicationPhase): ReplicationPhase {
  return phases[phases.findIndex((phase) => phase.name === name) + 1]?.name ?? 'done';
}
