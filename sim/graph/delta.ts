import { json, type SimRequest, type SimResponse } from '../http-kit.js';
import type { ChangeEntry } from '../tenant/change-log.js';
import type { TenantState } from '../tenant/tenant-state.js';
import type { GraphConfig } from './graph-config.js';
import { badRequest, graphError } from './graph-error.js';
import { decodeCursor, encodeCursor, project, selectFields } from './odata.js';

type Kind = 'users' | 'groups';

/** A delta link: the tenant version it was issued at. */
interface DeltaToken {
  v: number;
  sel: string[] | null;
  t: number;
}

/** A next link: a full enumeration's position, or an incremental window's offset. */
type PageCursor =
  | { phase: 'full'; at: number; index: number; memberOffset: number; sel: string[] | null; t: number }
  | { phase: 'changes'; since: number; upTo: number; offset: number; sel: string[] | null; t: number };

const odataType = { users: '#microsoft.graph.user', groups: '#microsoft.graph.group' } as const;

/**
 * `GET /users/delta` and `GET /groups/delta`: the first call enumerates everything and ends with a delta link;
 * a delta link returns what changed since it was issued (`@removed` with reason `changed` for soft deletes,
 * `deleted` for hard ones; `members@delta` with added and removed members), across pages. Links are stateless
 * cursors; an expired delta link answers 410 Gone.
 * https://learn.microsoft.com/graph/delta-query-overview
 */
export function deltaQuery(kind: Kind, config: GraphConfig, baseUrl: string) {
  const path = `${baseUrl}/v1.0/${kind}/delta`;
  const link = (parameter: '$skiptoken' | '$deltatoken', value: unknown) =>
    `${path}?${parameter}=${encodeCursor(value)}`;

  return (request: SimRequest, tenant: TenantState): SimResponse => {
    const pageSize = kind === 'users' ? config.usersDeltaPageSize : config.groupsDeltaPageSize;
    const params = request.url.searchParams;
    const context = `${baseUrl}/v1.0/$metadata#${kind}`;
    const expired = (issued: number) =>
      issued < tenant.deltaTokensValidFrom || issued < Date.now() - config.deltaTokenLifetimeMs;
    const restart = (sel: string[] | null) =>
      graphError(
        410,
        'syncStateNotFound',
        'The sync state generation is not found. Please restart the sync.',
        {
          location: sel ? `${path}?$select=${sel.filter((field) => field !== 'id').join(',')}` : path,
        },
      );
    const page = (value: unknown[], next: { nextLink?: string; deltaLink?: string }) =>
      json(200, {
        '@odata.context': context,
        ...(next.nextLink ? { '@odata.nextLink': next.nextLink } : {}),
        ...(next.deltaLink ? { '@odata.deltaLink': next.deltaLink } : {}),
        value,
      });

    const deltaParam = params.get('$deltatoken');
    const skipParam = params.get('$skiptoken');
    if (deltaParam === 'latest') {
      const sel = selectFields(request) ?? null;
      return page([], { deltaLink: link('$deltatoken', { v: tenant.version, sel, t: Date.now() }) });
    }
    if (deltaParam !== null) {
      const token = decodeCursor<DeltaToken>(deltaParam);
      if (!token) return badRequest('Invalid delta token.');
      if (expired(token.t)) return restart(token.sel);
      return changes({
        phase: 'changes',
        since: token.v,
        upTo: tenant.version,
        offset: 0,
        sel: token.sel,
        t: token.t,
      });
    }
    if (skipParam !== null) {
      const cursor = decodeCursor<PageCursor>(skipParam);
      if (!cursor) return badRequest('Invalid skip token.');
      if (cursor.phase === 'changes') return expired(cursor.t) ? restart(cursor.sel) : changes(cursor);
      return full(cursor);
    }
    const sel = selectFields(request) ?? null;
    return full({ phase: 'full', at: tenant.version, index: 0, memberOffset: 0, sel, t: Date.now() });

    function render(id: string, fields: string[] | null): Record<string, unknown> {
      const object = kind === 'users' ? tenant.users.get(id) : tenant.groups.get(id);
      if (object) {
        const projected = project(object, fields ?? undefined);
        delete projected.members;
        return projected;
      }
      const removed = kind === 'users' ? tenant.removedUsers.get(id) : tenant.removedGroups.get(id);
      return { '@odata.type': odataType[kind], id, '@removed': { reason: removed?.reason ?? 'deleted' } };
    }

    function withMembers(fields: string[] | null): boolean {
      return kind === 'groups' && (!fields || fields.includes('members'));
    }

    function memberRef(memberId: string, present: boolean) {
      const type = tenant.groups.has(memberId) ? odataType.groups : odataType.users;
      return present
        ? { '@odata.type': type, id: memberId }
        : { '@odata.type': type, id: memberId, '@removed': { reason: 'deleted' } };
    }

    function full(cursor: Extract<PageCursor, { phase: 'full' }>): SimResponse {
      const order = kind === 'users' ? tenant.userOrder : tenant.groupOrder;
      const value: unknown[] = [];
      let { index, memberOffset } = cursor;
      while (value.length < pageSize && index < order.length) {
        const id = order[index] as string;
        const live = kind === 'users' ? tenant.users.has(id) : tenant.groups.has(id);
        if (!live) {
          // The initial round may report objects in the recycle bin as removed, too (Graph: "@removed
          // entries can appear in the initial round"): a client must take a removal of what it never saw.
          const removed = kind === 'users' ? tenant.removedUsers.get(id) : tenant.removedGroups.get(id);
          if (removed?.reason === 'changed' && config.initialRoundRemovals)
            value.push(render(id, cursor.sel));
          index += 1;
          continue;
        }
        if (!withMembers(cursor.sel)) {
          value.push(render(id, cursor.sel));
          index += 1;
          continue;
        }
        const members = [...(tenant.members.get(id) ?? [])];
        const chunk = members.slice(memberOffset, memberOffset + config.membersPerDeltaEntry);
        const head = memberOffset === 0 ? render(id, cursor.sel) : { '@odata.type': odataType.groups, id };
        value.push({ ...head, 'members@delta': chunk.map((memberId) => memberRef(memberId, true)) });
        if (memberOffset + config.membersPerDeltaEntry < members.length) {
          memberOffset += config.membersPerDeltaEntry;
        } else {
          index += 1;
          memberOffset = 0;
        }
      }
      if (index < order.length) {
        return page(value, { nextLink: link('$skiptoken', { ...cursor, index, memberOffset }) });
      }
      return page(value, {
        deltaLink: link('$deltatoken', { v: cursor.at, sel: cursor.sel, t: Date.now() }),
      });
    }

    function changes(cursor: Extract<PageCursor, { phase: 'changes' }>): SimResponse {
      const within = (entries: ChangeEntry[]) => entries.filter((entry) => entry.version <= cursor.upTo);
      const objectLog = within((kind === 'users' ? tenant.userLog : tenant.groupLog).since(cursor.since));
      const memberLog = withMembers(cursor.sel) ? within(tenant.membershipLog.since(cursor.since)) : [];
      const ids = new Set<string>();
      for (const entry of [...objectLog, ...memberLog].sort((a, b) => a.version - b.version))
        ids.add(entry.id);
      const changedMembers = new Map<string, Set<string>>();
      for (const entry of memberLog) {
        const set = changedMembers.get(entry.id) ?? new Set<string>();
        set.add(entry.memberId as string);
        changedMembers.set(entry.id, set);
      }
      const all = [...ids];
      const slice = all.slice(cursor.offset, cursor.offset + pageSize).map((id) => {
        const entry = render(id, cursor.sel);
        const members = changedMembers.get(id);
        if (!members || '@removed' in entry) return entry;
        const current = tenant.members.get(id) ?? new Set<string>();
        return {
          ...entry,
          'members@delta': [...members].map((memberId) => memberRef(memberId, current.has(memberId))),
        };
      });
      const offset = cursor.offset + pageSize;
      if (offset < all.length) return page(slice, { nextLink: link('$skiptoken', { ...cursor, offset }) });
      return page(slice, {
        deltaLink: link('$deltatoken', { v: cursor.upTo, sel: cursor.sel, t: Date.now() }),
      });
    }
  };
}
