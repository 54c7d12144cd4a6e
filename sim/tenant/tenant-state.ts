import { randomUUID } from 'node:crypto';
import type { SimNumberOrder } from '../teams/number-orders.js';
import type { PendingPolicyChange } from '../teams/policy-assignments.js';
import { ChangeLog } from './change-log.js';
import type {
  RemovalReason,
  SimDomain,
  SimGroup,
  SimNumberAssignment,
  SimRoleAssignment,
  SimSubscribedSku,
  SimTeamsUserConfiguration,
  SimUser,
} from './model.js';

export interface SimServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  /** App roles (application permissions) granted on resources, e.g. Microsoft Graph's. */
  appRoleAssignments: { id: string; resourceId: string; appRoleId: string; createdDateTime: string }[];
  /** When it was created (Date.now()): for a while, Entra's replicas may not know it yet. */
  createdAt?: number;
}

/**
 * One tenant's directory, Teams and licensing state. Every change bumps `version` and is logged, so delta
 * queries read only what changed since a link's version; objects seeded before any link exists need no log.
 */
export class TenantState {
  version = 0;
  /** Delta links issued before this instant are expired (410), as after Microsoft's ~7 days. */
  deltaTokensValidFrom = 0;

  readonly users = new Map<string, SimUser>();
  readonly userOrder: string[] = [];
  /** Removed users; a soft-deleted one keeps what a restore gives back (its groups, its Teams configuration). */
  readonly removedUsers = new Map<
    string,
    { user: SimUser; reason: RemovalReason; groups: string[]; teams?: SimTeamsUserConfiguration }
  >();
  readonly groups = new Map<string, SimGroup>();
  readonly groupOrder: string[] = [];
  readonly removedGroups = new Map<string, { group: SimGroup; reason: RemovalReason }>();
  readonly members = new Map<string, Set<string>>();
  readonly userLog = new ChangeLog();
  readonly groupLog = new ChangeLog();
  readonly membershipLog = new ChangeLog();

  readonly teamsConfigurations = new Map<string, SimTeamsUserConfiguration>();
  readonly numberAssignments = new Map<string, SimNumberAssignment>();
  /** Orders made by `assignNumber` and `unassignNumber` (long-running operations), by operation id. */
  readonly numberOrders = new Map<string, SimNumberOrder>();
  /** Policy assignments Graph took that Teams has not applied yet (`policyPropagationMs`). */
  readonly pendingPolicyChanges: PendingPolicyChange[] = [];
  readonly domains = new Map<string, SimDomain>();
  readonly subscribedSkus: SimSubscribedSku[] = [];
  /** When each user got a Teams Phone licence through `assignLicense` (Teams provisions them from then on). */
  readonly teamsLicensedAt = new Map<string, number>();
  readonly roleAssignments = new Map<string, SimRoleAssignment>();
  /** Delegated scopes an admin consented to for the whole organisation, per client app id. */
  readonly delegatedConsents = new Map<string, Set<string>>();
  readonly servicePrincipals = new Map<string, SimServicePrincipal>();
  /** When a user or domain was made, or a domain verified (`user:{id}`, `domain:{id}`, `verified:{id}`): replication. */
  readonly madeAt = new Map<string, number>();

  /**
   * Tenant behaviour a test can change: app management policy (a secret's or certificate's longest lifetime, or no
   * new passwords at all), and how long a new secret or certificate takes to work.
   */
  readonly policies = {
    maxSecretLifetimeDays: undefined as number | undefined,
    passwordsForbidden: false,
    maxCertificateLifetimeDays: undefined as number | undefined,
    secretPropagationMs: 0,
  };

  constructor(
    readonly id: string,
    readonly displayName: string,
    initialDomain: string,
  ) {
    this.domains.set(initialDomain, {
      id: initialDomain,
      isVerified: true,
      isDefault: true,
      isInitial: true,
      authenticationType: 'Managed',
      supportedServices: ['Email', 'OfficeCommunicationsOnline'],
      verificationCode: '',
    });
  }

  get initialDomain(): string {
    return [...this.domains.values()].find((domain) => domain.isInitial)?.id ?? '';
  }

  verifiedDomains(): string[] {
    return [...this.domains.values()].filter((domain) => domain.isVerified).map((domain) => domain.id);
  }

  private bump(): number {
    this.version += 1;
    return this.version;
  }

  /** Adds a user; `logged: false` is for seeding before any delta link exists. */
  addUser(user: SimUser, logged = true): SimUser {
    this.users.set(user.id, user);
    this.userOrder.push(user.id);
    if (logged) this.userLog.record({ version: this.bump(), id: user.id });
    return user;
  }

  updateUser(id: string, changes: Partial<Omit<SimUser, 'id'>>): SimUser {
    const user = this.users.get(id);
    if (!user) throw new Error(`No user ${id}.`);
    Object.assign(user, changes);
    this.userLog.record({ version: this.bump(), id });
    return user;
  }

  /** Soft delete (`changed`: restorable) or hard delete (`deleted`); memberships go with the user. */
  removeUser(id: string, reason: RemovalReason): void {
    const user = this.users.get(id);
    if (!user) throw new Error(`No user ${id}.`);
    const groups = [...this.members].filter(([, members]) => members.has(id)).map(([groupId]) => groupId);
    for (const groupId of groups) this.removeMember(groupId, id);
    this.users.delete(id);
    this.removedUsers.set(id, { user, reason, groups, teams: this.teamsConfigurations.get(id) });
    this.teamsConfigurations.delete(id);
    this.userLog.record({ version: this.bump(), id });
  }

  restoreUser(id: string): SimUser {
    const removed = this.removedUsers.get(id);
    if (removed?.reason !== 'changed') throw new Error(`User ${id} is not soft-deleted.`);
    this.removedUsers.delete(id);
    this.users.set(id, removed.user);
    if (!this.userOrder.includes(id)) this.userOrder.push(id);
    this.userLog.record({ version: this.bump(), id });
    // Entra restores a soft-deleted user with its group memberships; its Teams settings come back with it.
    for (const groupId of removed.groups) if (this.groups.has(groupId)) this.addMember(groupId, id);
    if (removed.teams) this.teamsConfigurations.set(id, removed.teams);
    return removed.user;
  }

  addGroup(group: SimGroup, logged = true): SimGroup {
    this.groups.set(group.id, group);
    this.groupOrder.push(group.id);
    this.members.set(group.id, new Set());
    if (logged) this.groupLog.record({ version: this.bump(), id: group.id });
    return group;
  }

  updateGroup(id: string, changes: Partial<Omit<SimGroup, 'id'>>): SimGroup {
    const group = this.groups.get(id);
    if (!group) throw new Error(`No group ${id}.`);
    Object.assign(group, changes);
    this.groupLog.record({ version: this.bump(), id });
    return group;
  }

  removeGroup(id: string, reason: RemovalReason): void {
    const group = this.groups.get(id);
    if (!group) throw new Error(`No group ${id}.`);
    this.groups.delete(id);
    this.members.delete(id);
    this.removedGroups.set(id, { group, reason });
    this.groupLog.record({ version: this.bump(), id });
  }

  addMember(groupId: string, memberId: string, logged = true): void {
    const members = this.members.get(groupId);
    if (!members) throw new Error(`No group ${groupId}.`);
    if (!this.users.has(memberId) && !this.groups.has(memberId))
      throw new Error(`No directory object ${memberId}.`);
    if (members.has(memberId)) return;
    members.add(memberId);
    if (logged) this.membershipLog.record({ version: this.bump(), id: groupId, memberId });
  }

  removeMember(groupId: string, memberId: string): void {
    const members = this.members.get(groupId);
    if (!members?.delete(memberId)) throw new Error(`${memberId} is not a member of ${groupId}.`);
    this.membershipLog.record({ version: this.bump(), id: groupId, memberId });
  }

  /** Directory role template ids a principal holds now: active assignments only (a user's `wids`). */
  rolesOf(principalId: string): string[] {
    return [...this.roleAssignments.values()]
      .filter((assignment) => assignment.principalId === principalId && !assignment.eligible)
      .map((assignment) => assignment.roleDefinitionId);
  }

  assignRole(
    principalId: string,
    roleDefinitionId: string,
    options: { eligible?: boolean } = {},
  ): SimRoleAssignment {
    const existing = [...this.roleAssignments.values()].find(
      (assignment) =>
        assignment.principalId === principalId && assignment.roleDefinitionId === roleDefinitionId,
    );
    if (existing) return existing;
    const assignment = {
      id: randomUUID(),
      principalId,
      roleDefinitionId,
      directoryScopeId: '/',
      ...(options.eligible ? { eligible: true } : {}),
    };
    this.roleAssignments.set(assignment.id, assignment);
    return assignment;
  }

  servicePrincipalByAppId(appId: string): SimServicePrincipal | undefined {
    for (const principal of this.servicePrincipals.values()) if (principal.appId === appId) return principal;
    return undefined;
  }

  addServicePrincipal(appId: string, displayName: string, id: string = randomUUID()): SimServicePrincipal {
    const existing = this.servicePrincipalByAppId(appId);
    if (existing) return existing;
    const principal = { id, appId, displayName, appRoleAssignments: [], createdAt: Date.now() };
    this.servicePrincipals.set(principal.id, principal);
    return principal;
  }
}
