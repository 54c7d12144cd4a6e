import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../sim/server.js';
import type { TenantState } from '../../sim/tenant/tenant-state.js';
import { appToken, graphFetch, registerCustomerApp, startSampleSimulator } from './sim-fixture.js';

let simulator: Simulator;
let tenant: TenantState;
let graph: ReturnType<typeof graphFetch>;

beforeAll(async () => {
  ({ simulator } = await startSampleSimulator());
  const summary = simulator.control.generateTenant({
    displayName: 'Delta Test',
    domain: 'deltatest.onmicrosoft.com',
    seed: 42,
    sizes: { users: 30, groups: 4, membershipsPerUser: 2, voiceUsers: 0 },
  });
  tenant = simulator.directory.tenant(summary.id);
  simulator.control.setGraphConfig({
    usersDeltaPageSize: 7,
    groupsDeltaPageSize: 2,
    membersPerDeltaEntry: 5,
  });
  const app = registerCustomerApp(simulator, tenant.id, ['User.Read.All', 'GroupMember.Read.All']);
  graph = graphFetch(simulator, await appToken(simulator, tenant.id, app.clientId, app.clientSecret));
});

afterAll(async () => {
  await simulator?.stop();
});

interface Entry {
  id: string;
  '@removed'?: { reason: string };
  'members@delta'?: { id: string; '@removed'?: unknown }[];
  [property: string]: unknown;
}

/** Follows next links to the delta link, as a client must; returns every entry in order. */
async function follow(url: string) {
  const entries: Entry[] = [];
  let pages = 0;
  let next: string | undefined = url;
  for (;;) {
    const response = await graph(next);
    expect(response.status).toBe(200);
    pages += 1;
    entries.push(...(response.body.value as Entry[]));
    next = response.body['@odata.nextLink'];
    if (!next) return { entries, pages, deltaLink: response.body['@odata.deltaLink'] as string };
  }
}

/** A replica the way the connector keeps one: merge every entry, never assume order or one entry per object. */
function applyUsers(replica: Map<string, Entry>, entries: Entry[]) {
  for (const entry of entries) {
    if (entry['@removed']) replica.delete(entry.id);
    else replica.set(entry.id, { ...replica.get(entry.id), ...entry });
  }
}

function applyGroups(replica: Map<string, { entry: Entry; members: Set<string> }>, entries: Entry[]) {
  for (const entry of entries) {
    if (entry['@removed']) {
      replica.delete(entry.id);
      continue;
    }
    const { 'members@delta': delta = [], ...properties } = entry;
    const current = replica.get(entry.id) ?? { entry: { id: entry.id }, members: new Set<string>() };
    current.entry = { ...current.entry, ...properties };
    for (const member of delta) {
      if (member['@removed']) current.members.delete(member.id);
      else current.members.add(member.id);
    }
    replica.set(entry.id, current);
  }
}

const tenantMembers = () => new Map([...tenant.members].map(([id, members]) => [id, [...members].sort()]));
const replicaMembers = (replica: Map<string, { members: Set<string> }>) =>
  new Map([...replica].map(([id, group]) => [id, [...group.members].sort()]));

describe('Graph delta through plain fetch', () => {
  const users = new Map<string, Entry>();
  const groups = new Map<string, { entry: Entry; members: Set<string> }>();
  let usersLink = '';
  let groupsLink = '';

  it('enumerates everything on the first sync, across pages, and ends with a delta link', async () => {
    const userSync = await follow('/users/delta?$select=displayName,userPrincipalName,accountEnabled');
    expect(userSync.pages).toBe(5);
    applyUsers(users, userSync.entries);
    expect([...users.keys()].sort()).toEqual([...tenant.users.keys()].sort());
    expect(Object.keys(userSync.entries[0] ?? {}).sort()).toEqual([
      'accountEnabled',
      'displayName',
      'id',
      'userPrincipalName',
    ]);
    usersLink = userSync.deltaLink;

    const groupSync = await follow('/groups/delta?$select=displayName,members');
    applyGroups(groups, groupSync.entries);
    expect(replicaMembers(groups)).toEqual(tenantMembers());
    expect(groupSync.entries.length).toBeGreaterThan(tenant.groups.size);
    const repeated = groupSync.entries.filter((entry) => !('displayName' in entry));
    expect(repeated.length).toBeGreaterThan(0);
    groupsLink = groupSync.deltaLink;
  });

  it('returns nothing but a new delta link when nothing changed', async () => {
    const again = await follow(usersLink);
    expect(again.entries).toEqual([]);
    expect(again.deltaLink).toBeTruthy();
  });

  it('returns exactly the changes since the delta link: adds, updates, soft and hard deletes, memberships', async () => {
    const [kept, renamed, soft, hard] = tenant.userOrder.slice(0, 4) as string[];
    const added = simulator.control.addUser(tenant.id, { displayName: 'New Starter', alias: 'new.starter' });
    simulator.control.updateUser(tenant.id, renamed as string, { displayName: 'Renamed Person' });
    simulator.control.deleteUser(tenant.id, soft as string);
    simulator.control.deleteUser(tenant.id, hard as string, { hard: true });
    const [groupA, groupB] = tenant.groupOrder as string[];
    simulator.control.addMember(tenant.id, groupA as string, added.id);
    const removable = [...(tenant.members.get(groupB as string) ?? [])].find((id) => id !== kept) as string;
    simulator.control.removeMember(tenant.id, groupB as string, removable);
    const newGroup = simulator.control.addGroup(tenant.id, { displayName: 'Brand new' });

    const userChanges = await follow(usersLink);
    const byId = new Map(userChanges.entries.map((entry) => [entry.id, entry]));
    expect([...byId.keys()].sort()).toEqual([added.id, renamed, soft, hard].sort());
    expect(byId.get(added.id)).toMatchObject({ displayName: 'New Starter' });
    expect(byId.get(renamed as string)).toMatchObject({ displayName: 'Renamed Person' });
    expect(byId.get(soft as string)?.['@removed']).toEqual({ reason: 'changed' });
    expect(byId.get(hard as string)?.['@removed']).toEqual({ reason: 'deleted' });
    applyUsers(users, userChanges.entries);
    expect([...users.keys()].sort()).toEqual([...tenant.users.keys()].sort());

    const groupChanges = await follow(groupsLink);
    const changedGroups = new Set(groupChanges.entries.map((entry) => entry.id));
    expect(changedGroups.has(newGroup.id)).toBe(true);
    expect(changedGroups.has(groupA as string)).toBe(true);
    const removals = groupChanges.entries.flatMap((entry) =>
      (entry['members@delta'] ?? []).filter((member) => member['@removed']),
    );
    expect(removals.map((member) => member.id)).toEqual(expect.arrayContaining([removable]));
    applyGroups(groups, groupChanges.entries);
    expect(replicaMembers(groups)).toEqual(tenantMembers());

    usersLink = userChanges.deltaLink;
    const quiet = await follow(usersLink);
    expect(quiet.entries).toEqual([]);
  });

  it('brings a soft-deleted user back when restored', async () => {
    const softDeleted = [...tenant.removedUsers].find(
      ([, removed]) => removed.reason === 'changed',
    )?.[0] as string;
    simulator.control.restoreUser(tenant.id, softDeleted);
    const changes = await follow(usersLink);
    expect(changes.entries.map((entry) => entry.id)).toEqual([softDeleted]);
    expect(changes.entries[0]?.['@removed']).toBeUndefined();
    usersLink = changes.deltaLink;
  });

  it('answers 410 Gone with syncStateNotFound and a Location to restart once delta links expire', async () => {
    simulator.control.expireDeltaTokens(tenant.id);
    const response = await graph(usersLink);
    expect(response.status).toBe(410);
    expect(response.body.error.code).toBe('syncStateNotFound');
    expect(response.headers.get('location')).toContain(
      '/users/delta?$select=displayName,userPrincipalName,accountEnabled',
    );
    const restarted = await follow(response.headers.get('location') as string);
    expect(restarted.entries).toHaveLength(tenant.users.size);
  });

  it('serves $deltatoken=latest: no objects, a link from now on', async () => {
    const latest = await follow('/users/delta?$deltatoken=latest');
    expect(latest.entries).toEqual([]);
    simulator.control.updateUser(tenant.id, tenant.userOrder[5] as string, { jobTitle: 'Changed' });
    expect((await follow(latest.deltaLink)).entries).toHaveLength(1);
  });

  it('answers every page after the configured latency, less at most its jitter', async () => {
    simulator.control.setGraphConfig({ latencyMs: 150, latencyJitter: 0.2 });
    try {
      const started = performance.now();
      const { pages } = await follow('/users/delta');
      expect(performance.now() - started).toBeGreaterThanOrEqual(pages * 150 * 0.8 - 5);
    } finally {
      simulator.control.setGraphConfig({ latencyMs: 0 });
    }
  });
});
