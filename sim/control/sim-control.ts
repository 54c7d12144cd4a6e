import { randomUUID } from 'node:crypto';
import type { SimApplication } from '../directory.js';
import type { FaultRule } from '../faults.js';
import type { GraphConfig } from '../graph/graph-config.js';
import type { Simulator } from '../server.js';
import { generateTenant, type TenantSpec } from '../tenant/generate-tenant.js';
import { newUser, type SimDomain, type SimGroup, type SimUser } from '../tenant/model.js';
import type { TenantState } from '../tenant/tenant-state.js';

export interface TenantSummary {
  id: string;
  displayName: string;
  domains: string[];
  users: number;
  groups: number;
  memberships: number;
  version: number;
}

/**
 * Changes the simulated cloud while it runs: directory objects, consent, roles, secrets, delta tokens, faults and
 * throttling. Tests call it in-process; people reach the same operations under `/_sim/` over HTTPS.
 */
export class SimControl {
  constructor(private readonly simulator: Simulator) {}

  private tenant(reference: string): TenantState {
    const tenant = this.simulator.directory.resolveTenant(reference);
    if (!tenant) throw new ControlError(404, `No tenant ${reference}.`);
    return tenant;
  }

  summary(tenant: TenantState): TenantSummary {
    let memberships = 0;
    for (const members of tenant.members.values()) memberships += members.size;
    return {
      id: tenant.id,
      displayName: tenant.displayName,
      domains: tenant.verifiedDomains(),
      users: tenant.users.size,
      groups: tenant.groups.size,
      memberships,
      version: tenant.version,
    };
  }

  tenants(): TenantSummary[] {
    return [...this.simulator.directory.tenants.values()].map((tenant) => this.summary(tenant));
  }

  generateTenant(spec: TenantSpec): TenantSummary {
    try {
      return this.summary(generateTenant(this.simulator.directory, spec));
    } catch (error) {
      throw new ControlError(409, (error as Error).message);
    }
  }

  addUser(tenantId: string, input: Partial<SimUser> & { displayName: string; alias: string }): SimUser {
    const tenant = this.tenant(tenantId);
    const upn = `${input.alias}@${tenant.initialDomain}`;
    const { alias: _, ...properties } = input;
    return tenant.addUser(newUser({ id: randomUUID(), userPrincipalName: upn, mail: upn, ...properties }));
  }

  updateUser(tenantId: string, userId: string, changes: Partial<Omit<SimUser, 'id'>>): SimUser {
    return this.guard(() => this.tenant(tenantId).updateUser(userId, changes));
  }

  deleteUser(tenantId: string, userId: string, options: { hard?: boolean } = {}): void {
    this.guard(() => this.tenant(tenantId).removeUser(userId, options.hard ? 'deleted' : 'changed'));
  }

  restoreUser(tenantId: string, userId: string): SimUser {
    return this.guard(() => this.tenant(tenantId).restoreUser(userId));
  }

  addGroup(tenantId: string, input: Partial<SimGroup> & { displayName: string }): SimGroup {
    const nickname = input.displayName.toLowerCase().replace(/[^a-z0-9]/g, '-');
    return this.tenant(tenantId).addGroup({
      id: randomUUID(),
      description: null,
      mail: null,
      mailEnabled: false,
      mailNickname: nickname,
      securityEnabled: true,
      groupTypes: [],
      ...input,
    });
  }

  updateGroup(tenantId: string, groupId: string, changes: Partial<Omit<SimGroup, 'id'>>): SimGroup {
    return this.guard(() => this.tenant(tenantId).updateGroup(groupId, changes));
  }

  deleteGroup(tenantId: string, groupId: string, options: { hard?: boolean } = {}): void {
    this.guard(() => this.tenant(tenantId).removeGroup(groupId, options.hard ? 'deleted' : 'changed'));
  }

  addMember(tenantId: string, groupId: string, memberId: string): void {
    this.guard(() => this.tenant(tenantId).addMember(groupId, memberId));
  }

  removeMember(tenantId: string, groupId: string, memberId: string): void {
    this.guard(() => this.tenant(tenantId).removeMember(groupId, memberId));
  }

  /** Assigns a Direct Routing number to a user's Teams configuration, or frees it (`userId` null). */
  setNumberAssignment(tenantId: string, telephoneNumber: string, userId: string | null): void {
    const tenant = this.tenant(tenantId);
    const number = tenant.numberAssignments.get(telephoneNumber);
    if (!number) throw new ControlError(404, `No number ${telephoneNumber}.`);
    if (number.assignmentTargetId) {
      const previous = tenant.teamsConfigurations.get(number.assignmentTargetId);
      if (previous)
        previous.telephoneNumbers = previous.telephoneNumbers.filter(
          (entry) => entry.telephoneNumber !== telephoneNumber,
        );
    }
    number.assignmentTargetId = userId;
    number.assignmentCategory = userId ? 'primary' : null;
    number.assignmentStatus = userId ? 'userAssigned' : 'unassigned';
    if (userId) {
      const configuration = tenant.teamsConfigurations.get(userId);
      if (!configuration) throw new ControlError(404, `User ${userId} has no Teams configuration.`);
      configuration.telephoneNumbers.push({ telephoneNumber, assignmentCategory: 'primary' });
    }
  }

  /** Removes the app's enterprise app (service principal) from a tenant, with its grants and roles: consent revoked. */
  revokeConsent(tenantId: string, appId: string): void {
    const tenant = this.tenant(tenantId);
    const principal = tenant.servicePrincipalByAppId(appId);
    if (!principal) throw new ControlError(404, `App ${appId} has no service principal in ${tenantId}.`);
    tenant.servicePrincipals.delete(principal.id);
    for (const [id, assignment] of tenant.roleAssignments)
      if (assignment.principalId === principal.id) tenant.roleAssignments.delete(id);
  }

  /** A directory role for a principal: active, or `eligible` through PIM (held only once activated). */
  assignRole(
    tenantId: string,
    principalId: string,
    roleDefinitionId: string,
    options: { eligible?: boolean } = {},
  ): void {
    this.tenant(tenantId).assignRole(principalId, roleDefinitionId, options);
  }

  /** Delegated scopes consented for the whole tenant (as an admin's earlier consent does). */
  grantDelegatedConsent(tenantId: string, appId: string, scopes: string[]): void {
    const tenant = this.tenant(tenantId);
    tenant.delegatedConsents.set(appId, new Set([...(tenant.delegatedConsents.get(appId) ?? []), ...scopes]));
  }

  /** Sets an app registration's manifest `groupMembershipClaims` (whether its tokens carry `wids`). */
  setGroupMembershipClaims(appId: string, value: SimApplication['groupMembershipClaims']): void {
    const app = this.simulator.directory.applications.get(appId);
    if (!app) throw new Error(`No app ${appId}.`);
    app.groupMembershipClaims = value;
  }

  removeRoleAssignment(tenantId: string, principalId: string, roleDefinitionId: string): void {
    const tenant = this.tenant(tenantId);
    const found = [...tenant.roleAssignments].find(
      ([, assignment]) =>
        assignment.principalId === principalId && assignment.roleDefinitionId === roleDefinitionId,
    );
    if (!found) throw new ControlError(404, 'No such role assignment.');
    tenant.roleAssignments.delete(found[0]);
  }

  grantGraphPermissions(tenantId: string, appId: string, permissions: string[]): void {
    this.guard(() =>
      this.simulator.directory.grantGraphAppRoles(this.tenant(tenantId).id, appId, permissions),
    );
  }

  /** Makes an app's secrets (or one of them) expired now. */
  expireSecret(appId: string, keyId?: string): void {
    const app = this.simulator.directory.applications.get(appId);
    if (!app) throw new ControlError(404, `No application ${appId}.`);
    for (const credential of app.passwordCredentials) {
      if (!keyId || credential.keyId === keyId) credential.endDateTime = new Date(Date.now() - 1000);
    }
  }

  /** Every delta link issued so far in the tenant answers 410 Gone from now on. */
  expireDeltaTokens(tenantId: string): void {
    this.tenant(tenantId).deltaTokensValidFrom = Date.now() + 1;
  }

  setPolicies(tenantId: string, policies: Partial<TenantState['policies']>): void {
    Object.assign(this.tenant(tenantId).policies, policies);
  }

  injectFault(rule: FaultRule): string {
    return this.simulator.faults.add(rule);
  }

  clearFaults(): void {
    this.simulator.faults.clear();
  }

  /** Resource units per app per tenant per 10 s; undefined restores Graph's size-based budgets. */
  setThrottleBudget(budget: number | undefined): void {
    this.simulator.graph.throttle.budgetOverride = budget;
    this.simulator.graph.throttle.reset();
  }

  setGraphConfig(config: Partial<GraphConfig>): void {
    Object.assign(this.simulator.graph.config, config);
  }

  /**
   * Microsoft's slow parts, played from outside (`PATCH /_sim/timings`): how long Teams takes to provision an
   * activation user, public DNS to show a TXT record, Entra's replicas to learn of a new object, and Graph to
   * answer. Whole milliseconds from 0 to a day; what is not named stays. Answers the timings in force.
   */
  setTimings(body: Record<string, unknown>): Record<(typeof timingNames)[number], number> {
    const changes: Partial<GraphConfig> = {};
    for (const [name, value] of Object.entries(body)) {
      if (!(timingNames as readonly string[]).includes(name))
        throw new ControlError(400, `unknown timing ${name}: one of ${timingNames.join(', ')}`);
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 86_400_000)
        throw new ControlError(400, `${name} must be whole milliseconds from 0 to 86400000`);
      changes[name as (typeof timingNames)[number]] = value as number;
    }
    this.setGraphConfig(changes);
    const config = this.simulator.graph.config;
    return Object.fromEntries(timingNames.map((name) => [name, config[name]])) as Record<
      (typeof timingNames)[number],
      number
    >;
  }

  /** A domain verified in the tenant already (as if its admin had added it), e.g. to claim it from others. */
  addVerifiedDomain(tenantId: string, id: string): SimDomain {
    const domain: SimDomain = {
      id: id.toLowerCase(),
      isVerified: true,
      isDefault: false,
      isInitial: false,
      authenticationType: 'Managed',
      supportedServices: ['Email', 'OfficeCommunicationsOnline'],
      verificationCode: '',
    };
    this.tenant(tenantId).domains.set(domain.id, domain);
    return domain;
  }

  /** A SKU's seats: how many the tenant bought (`enabled`) and, optionally, how many are in use. */
  setSkuSeats(tenantId: string, skuId: string, seats: { enabled: number; consumed?: number }): void {
    const sku = this.tenant(tenantId).subscribedSkus.find((candidate) => candidate.skuId === skuId);
    if (!sku) throw new ControlError(404, `No SKU ${skuId} in the tenant.`);
    sku.prepaidUnits.enabled = seats.enabled;
    if (seats.consumed !== undefined) sku.consumedUnits = seats.consumed;
  }

  /** Stands in for public DNS: a TXT record that domain verification will find. */
  publishDnsTxt(domain: string, text: string): void {
    const records =
      this.simulator.graph.world.dnsTxtRecords.get(domain.toLowerCase()) ?? new Map<string, number>();
    records.set(text, Date.now());
    this.simulator.graph.world.dnsTxtRecords.set(domain.toLowerCase(), records);
  }

  private guard<T>(action: () => T): T {
    try {
      return action();
    } catch (error) {
      if (error instanceof ControlError) throw error;
      throw new ControlError(400, (error as Error).message);
    }
  }
}

export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The simulator's timings a control call may set (see setTimings). */
const timingNames = [
  'teamsProvisioningMs',
  'dnsPropagationMs',
  'directoryReplicationMs',
  'latencyMs',
  'numberOperationMs',
  'policyPropagationMs',
] as const;
