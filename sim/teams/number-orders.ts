import { randomUUID } from 'node:crypto';
import type { GraphConfig } from '../graph/graph-config.js';
import type { SimNumberAssignment, SimTeamsUserConfiguration } from '../tenant/model.js';
import type { TenantState } from '../tenant/tenant-state.js';

/** Teams Phone Standard (MCOEV): a user needs it (or a plan with it) to be given a number. */
export const phoneSystemSkuId = 'e43b5b99-8dfb-405f-9987-dc307f34bcbd';

/**
 * An asynchronous order `assignNumber` or `unassignNumber` made: a `telephoneNumberLongRunningOperation` that is
 * `notStarted` for the first fifth of `numberOperationMs`, then `running`, then `succeeded` or `failed`. Its effect
 * (or nothing, when it fails) shows in `numberAssignments` and `userConfigurations` once it ends; until then the
 * number is `assignmentPending`.
 */
export interface SimNumberOrder {
  id: string;
  kind: 'assign' | 'unassign';
  telephoneNumber: string;
  createdAt: number;
  doneAt: number;
  targetId?: string;
  category?: 'primary' | 'private' | 'alternate';
  locationId?: string;
  /** Why it fails, in the words of the operation's `statusDetail`; undefined when it succeeds. */
  failure?: string;
  settled: boolean;
}

export type OrderStatus = 'notStarted' | 'running' | 'succeeded' | 'failed';

/** The operation id as Graph's example shows it: base64url of `Assignment|…` or `Unassignment|…`. */
const orderId = (kind: SimNumberOrder['kind']) =>
  Buffer.from(`${kind === 'assign' ? 'Assignment' : 'Unassignment'}|${randomUUID()}`).toString('base64url');

function holdsPhoneSystem(tenant: TenantState, userId: string): boolean {
  return (
    tenant.users.get(userId)?.assignedLicenses.some((licence) => licence.skuId === phoneSystemSkuId) ?? false
  );
}

/** Orders an assignment; what it will find wrong is decided now, and told when it ends. */
export function orderAssignment(
  tenant: TenantState,
  config: GraphConfig,
  request: {
    telephoneNumber: string;
    targetId: string;
    category?: SimNumberOrder['category'];
    locationId?: string;
  },
  now = Date.now(),
): SimNumberOrder {
  const number = tenant.numberAssignments.get(request.telephoneNumber);
  let failure: string | undefined;
  if (!number) failure = `The telephone number ${request.telephoneNumber} was not found in the tenant.`;
  else if (number.assignmentTargetId && number.assignmentTargetId !== request.targetId)
    failure = `The telephone number ${request.telephoneNumber} is already assigned to another account.`;
  else if (!tenant.users.has(request.targetId))
    failure = `The assignment target ${request.targetId} was not found.`;
  else if (!holdsPhoneSystem(tenant, request.targetId))
    failure = `The user ${request.targetId} does not have a Teams Phone license, which a phone number assignment requires.`;
  return place(tenant, config, { kind: 'assign', ...request, failure }, now);
}

/** Orders a number freed; freeing one no one holds succeeds and changes nothing. */
export function orderUnassignment(
  tenant: TenantState,
  config: GraphConfig,
  telephoneNumber: string,
  now = Date.now(),
): SimNumberOrder {
  const failure = tenant.numberAssignments.has(telephoneNumber)
    ? undefined
    : `The telephone number ${telephoneNumber} was not found in the tenant.`;
  return place(tenant, config, { kind: 'unassign', telephoneNumber, failure }, now);
}

function place(
  tenant: TenantState,
  config: GraphConfig,
  order: Omit<SimNumberOrder, 'id' | 'createdAt' | 'doneAt' | 'settled'>,
  now: number,
): SimNumberOrder {
  const placed: SimNumberOrder = {
    ...order,
    id: orderId(order.kind),
    createdAt: now,
    doneAt: now + config.numberOperationMs,
    settled: false,
  };
  tenant.numberOrders.set(placed.id, placed);
  const number = tenant.numberAssignments.get(order.telephoneNumber);
  if (number && !order.failure) number.activationState = 'assignmentPending';
  settleNumberOrders(tenant, config, now);
  return placed;
}

export function orderStatus(order: SimNumberOrder, now = Date.now()): OrderStatus {
  if (now >= order.doneAt) return order.failure ? 'failed' : 'succeeded';
  return now < order.createdAt + (order.doneAt - order.createdAt) / 5 ? 'notStarted' : 'running';
}

/** Orders whose time has come take effect (in the order they were placed). */
export function settleNumberOrders(tenant: TenantState, config: GraphConfig, now = Date.now()): void {
  for (const order of tenant.numberOrders.values()) {
    if (order.settled || now < order.doneAt) continue;
    order.settled = true;
    const number = tenant.numberAssignments.get(order.telephoneNumber);
    if (!number) continue;
    number.activationState = 'activated';
    if (order.failure) continue;
    if (order.kind === 'unassign') release(tenant, number);
    else assign(tenant, config, number, order);
  }
}

function release(tenant: TenantState, number: SimNumberAssignment): void {
  const holder = number.assignmentTargetId
    ? tenant.teamsConfigurations.get(number.assignmentTargetId)
    : undefined;
  if (holder)
    holder.telephoneNumbers = holder.telephoneNumbers.filter(
      (entry) => entry.telephoneNumber !== number.telephoneNumber,
    );
  number.assignmentTargetId = null;
  number.assignmentCategory = null;
  number.assignmentStatus = 'unassigned';
}

function assign(
  tenant: TenantState,
  config: GraphConfig,
  number: SimNumberAssignment,
  order: SimNumberOrder,
): void {
  const targetId = order.targetId ?? '';
  const user = tenant.users.get(targetId);
  if (!user) return;
  const configuration: SimTeamsUserConfiguration = tenant.teamsConfigurations.get(targetId) ?? {
    id: targetId,
    userPrincipalName: user.userPrincipalName,
    isEnterpriseVoiceEnabled: false,
    accountType: 'user',
    featureTypes: ['Teams', 'PhoneSystem'],
    telephoneNumbers: [],
    effectivePolicyAssignments: [],
  };
  tenant.teamsConfigurations.set(targetId, configuration);
  const category = order.category ?? 'primary';
  configuration.telephoneNumbers = [
    ...configuration.telephoneNumbers.filter((entry) => entry.telephoneNumber !== number.telephoneNumber),
    { telephoneNumber: number.telephoneNumber, assignmentCategory: category },
  ];
  if (config.assignEnablesEnterpriseVoice) configuration.isEnterpriseVoiceEnabled = true;
  number.assignmentTargetId = targetId;
  number.assignmentCategory = category;
  number.assignmentStatus = 'userAssigned';
  if (order.locationId !== undefined) number.locationId = order.locationId || null;
}
