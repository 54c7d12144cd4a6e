import { createHash } from 'node:crypto';
import type { TenantState } from '../tenant/tenant-state.js';

/**
 * A tenant's Teams policies by type and name, for `getPolicyId` and the policy assignment actions. Which types the
 * assign action takes Microsoft does not publish: these are the voice and meeting ones the platform uses; any other
 * type is refused as Graph would refuse one it does not know.
 */
export const policyTypes = [
  'TeamsCallingPolicy',
  'OnlineVoiceRoutingPolicy',
  'TenantDialPlan',
  'TeamsEmergencyCallingPolicy',
  'TeamsMeetingPolicy',
] as const;

const policiesByType: Record<(typeof policyTypes)[number], string[]> = {
  TeamsCallingPolicy: ['Global', 'AllowCalling', 'DisallowCalling'],
  OnlineVoiceRoutingPolicy: ['Global', 'DR-UK-National', 'DR-UK-International'],
  TenantDialPlan: ['Global', 'UK-Dial-Plan'],
  TeamsEmergencyCallingPolicy: ['Global', 'UK-Emergency'],
  TeamsMeetingPolicy: ['Global', 'AllOn', 'RestrictedAnonymousAccess'],
};

export interface SimPolicy {
  type: string;
  /** As `getPolicyId` names it: `Global`, or `Tag:{name}` for the others (Graph's example). */
  name: string;
  displayName: string;
  policyId: string;
}

/** The policy id as Graph shows one: opaque, the same for the same tenant, type and name. */
const policyIdOf = (tenantId: string, type: string, name: string) =>
  name === 'Global'
    ? 'Global'
    : createHash('sha256')
        .update(`${tenantId}|${type}|${name}`)
        .digest()
        .subarray(0, 32)
        .toString('base64url');

/** Every policy of the tenant, made on first use. */
export function policiesOf(tenant: TenantState): SimPolicy[] {
  return policyTypes.flatMap((type) =>
    policiesByType[type].map((displayName) => ({
      type,
      name: displayName === 'Global' ? 'Global' : `Tag:${displayName}`,
      displayName,
      policyId: policyIdOf(tenant.id, type, displayName),
    })),
  );
}

/** The type as the catalogue spells it (types are matched without regard to case), or undefined. */
export const knownPolicyType = (type: string): string | undefined =>
  policyTypes.find((candidate) => candidate.toLowerCase() === type.toLowerCase());

/** Policies of a type whose name (with or without `Tag:`) is `name`, without regard to case. */
export function findPolicies(tenant: TenantState, type: string, name: string): SimPolicy[] {
  const wanted = name.toLowerCase().replace(/^tag:/, '');
  return policiesOf(tenant).filter(
    (policy) =>
      policy.type.toLowerCase() === type.toLowerCase() && policy.displayName.toLowerCase() === wanted,
  );
}

export function policyById(tenant: TenantState, type: string, policyId: string): SimPolicy | undefined {
  return policiesOf(tenant).find(
    (policy) => policy.type.toLowerCase() === type.toLowerCase() && policy.policyId === policyId,
  );
}
