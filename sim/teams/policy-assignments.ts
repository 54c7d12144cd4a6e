import type { TenantState } from '../tenant/tenant-state.js';
import type { SimPolicy } from './policy-catalogue.js';

/** A policy given to (or taken from, `policy` undefined) a user, which Teams applies at `dueAt`. */
export interface PendingPolicyChange {
  userId: string;
  policyType: string;
  policy: SimPolicy | undefined;
  dueAt: number;
}

/** Takes a change; it shows in the user's `effectivePolicyAssignments` once Teams applied it. */
export function changePolicy(tenant: TenantState, change: PendingPolicyChange, now = Date.now()): void {
  tenant.pendingPolicyChanges.push(change);
  settlePolicyChanges(tenant, now);
}

/** Changes whose time has come are applied, in the order they were made; taking one away leaves Global. */
export function settlePolicyChanges(tenant: TenantState, now = Date.now()): void {
  const due = tenant.pendingPolicyChanges.filter((change) => change.dueAt <= now);
  if (due.length === 0) return;
  tenant.pendingPolicyChanges.splice(
    0,
    tenant.pendingPolicyChanges.length,
    ...tenant.pendingPolicyChanges.filter((change) => change.dueAt > now),
  );
  for (const change of due) {
    const configuration = tenant.teamsConfigurations.get(change.userId);
    if (!configuration) continue;
    const others = configuration.effectivePolicyAssignments.filter(
      (entry) => entry.policyType.toLowerCase() !== change.policyType.toLowerCase(),
    );
    const policy = change.policy;
    configuration.effectivePolicyAssignments = [
      ...others,
      {
        policyType: policy?.type ?? change.policyType,
        policyAssignment: policy
          ? { displayName: policy.displayName, policyId: policy.policyId, assignmentType: 'direct' }
          : { displayName: 'Global', policyId: 'Global', assignmentType: 'direct' },
      },
    ];
  }
}
