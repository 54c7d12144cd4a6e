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

/**
 * How a whole list pages, asking for `top` items a page: by next links (Graph's paging: `$top` is the page size,
 * a next link leads on), or by `$top` and `$skip` with no continuation (a page shorter than `$top` is the last; a
 * next link is followed if one comes).
 */
export type ListPaging = { by: 'nextLink' | 'skip'; top: number };

/** A whole list (no delta): compared with what is stored, and what it no longer shows is removed. */
export interface ListPhase {
  source: 'list';
  name: ReplicationPhase;
  firstUrl: string;
  /** The endpoint exists in the global service only (the Teams telephony ones): skipped in national clouds. */
  globalOnly?: boolean;
  paging: ListPaging;
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
    globalOnly: true,
    // Microsoft documents $top here but no page size or continuation: Graph's own paging (next links) is
    // followed, and only a page shorter than asked for proves the list's end (see listEndConfirmed).
    paging: { by: 'nextLink', top: 100 },
    kind: 'voice',
    id: (configuration) => String(configuration.id),
    fields: (configuration) => voiceFields(configuration as Partial<TeamsConfiguration>),
  },
  {
    source: 'list',
    name: 'numbers',
    firstUrl:
      "/admin/teams/telephoneNumberManagement/numberAssignments?$filter=numberType eq 'directRouting'",
    globalOnly: true,
    // Documented: $top (default 500, at most 1,000) and $skip, and no next link.
    paging: { by: 'skip', top: 1000 },
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

const skipPattern = /([?&])\$skip=(\d+)/;

/** The first page's URL of a list phase, asking for `top` items a page. */
export function firstListUrl(phase: ListPhase, top: number): string {
  return `${phase.firstUrl}${phase.firstUrl.includes('?') ? '&' : '?'}$top=${top}`;
}

/**
 * Whether the last page of a list proves it was read to its end, so what it did not show may be removed: a page
 * shorter than asked for does. A full page with no continuation may be a list the service cut short without
 * saying so (Microsoft documents neither for the Teams configurations), so nothing is removed after one.
 */
export function listEndConfirmed(page: { value: unknown[] }, top: number): boolean {
  return page.value.length < top;
}

/**
 * How many items a `$skip` page reads again of the page before it. A list that loses items before the page
 * boundary while it is read shifts them left, and a plain `$skip` would step over as many: reading back over the
 * boundary catches up to this many removals in between (an item listed twice is planned once).
 */
export const skipOverlap = (top: number) => Math.min(100, Math.floor(top / 10));

/**
 * The page after `page` (fetched from `url`), or undefined when it was the last: the next link when there is one;
 * for `$skip` paging, a page as long as asked for is followed by the next `$skip`, reaching back over the
 * boundary by `skipOverlap`.
 */
export function followingPage(
  phase: Phase,
  url: string,
  page: { value: unknown[]; '@odata.nextLink'?: string },
  top: number,
): string | undefined {
  const link = page['@odata.nextLink'];
  if (link) return link;
  if (phase.source !== 'list' || phase.paging.by !== 'skip' || page.value.length < top) return undefined;
  const skip = Number(skipPattern.exec(url)?.[2] ?? 0) + page.value.length - skipOverlap(top);
  return skipPattern.test(url) ? url.replace(skipPattern, `$1$skip=${skip}`) : `${url}&$skip=${skip}`;
}
