import { createHash } from 'node:crypto';
import { tableFilter } from '../storage/table-filters.js';
import { byKind, type ObjectKind, replicatedKinds } from './replicated-kinds.js';

export type { ObjectKind } from './replicated-kinds.js';

/** The replica's row kinds, as RowKey prefixes in the tenant's partitions of the `Replica` table. */
export const rowPrefix = byKind((kind) => replicatedKinds[kind].prefix);

/**
 * A tenant's replica is spread over this many partitions (`{tenantId}|{bucket}`), by a hash of the object's id:
 * one partition takes a few thousand writes a second in Azure, and an emulator looks rows up by scanning their
 * partition, so neither copes with a 100,000-user tenant in one. A membership goes with its group, so a group's
 * memberships stay in one partition, and a user's voice row with the user.
 */
export const replicaBuckets = 256;

/** FNV-1a: a fast, stable string hash (not for security). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The bucket of a replica row: its partition within the tenant's. */
export function replicaBucket(rowKey: string): number {
  const [, owner = ''] = rowKey.split('|');
  return fnv1a(owner) % replicaBuckets;
}

/** The partition a replica row lives in. */
export const replicaPartition = (tenantId: string, rowKey: string): string =>
  bucketPartition(tenantId, replicaBucket(rowKey));

/** A tenant's partition of one bucket. */
export const bucketPartition = (tenantId: string, bucket: number): string =>
  `${tenantId}|${bucket.toString(16).padStart(2, '0')}`;

/** Every partition of a tenant's replica. */
export const tenantPartitions = (tenantId: string) => tableFilter.partitionsStartingWith(`${tenantId}|`);

/** Every row of one kind. */
export const kindRange = (kind: ObjectKind) => tableFilter.rowKeysStartingWith(rowPrefix[kind]);

export interface UserFields {
  displayName: string;
  userPrincipalName: string;
  mail: string;
  accountEnabled: boolean;
  usageLocation: string;
}

export interface VoiceFields {
  teamsPhoneLicence: boolean;
  phoneNumbers: string;
  enterpriseVoice: boolean;
  voiceRoutingPolicy: string;
  callingPolicy: string;
}

export interface GroupFields {
  displayName: string;
  mail: string;
}

export interface NumberFields {
  assignedTo: string;
  assignmentStatus: string;
}

/** A stable fingerprint of the fields a row holds, to write only what changed. */
export function fingerprint(fields: object): string {
  return createHash('sha256')
    .update(JSON.stringify(fields, Object.keys(fields).sort()))
    .digest('base64url')
    .slice(0, 22);
}

/** Graph's user (delta) object → the replica's directory fields. */
export function userFields(user: Record<string, unknown>): UserFields {
  return {
    displayName: String(user.displayName ?? ''),
    userPrincipalName: String(user.userPrincipalName ?? ''),
    mail: String(user.mail ?? ''),
    accountEnabled: user.accountEnabled !== false,
    usageLocation: String(user.usageLocation ?? ''),
  };
}

export interface TeamsConfiguration {
  id: string;
  isEnterpriseVoiceEnabled?: boolean;
  featureTypes?: string[];
  telephoneNumbers?: { telephoneNumber: string }[];
  effectivePolicyAssignments?: { policyType: string; policyAssignment?: { displayName?: string } }[];
}

const policy = (configuration: Partial<TeamsConfiguration>, type: string) =>
  configuration.effectivePolicyAssignments?.find((assignment) => assignment.policyType === type)
    ?.policyAssignment?.displayName ?? '';

/** Graph's Teams user configuration → the replica's voice fields (Teams Phone licence from its feature types). */
export function voiceFields(configuration: Partial<TeamsConfiguration>): VoiceFields {
  return {
    teamsPhoneLicence: (configuration.featureTypes ?? []).includes('PhoneSystem'),
    phoneNumbers: JSON.stringify(
      (configuration.telephoneNumbers ?? []).map((entry) => entry.telephoneNumber).sort(),
    ),
    enterpriseVoice: configuration.isEnterpriseVoiceEnabled === true,
    voiceRoutingPolicy: policy(configuration, 'OnlineVoiceRoutingPolicy'),
    callingPolicy: policy(configuration, 'TeamsCallingPolicy'),
  };
}

export function groupFields(group: Record<string, unknown>): GroupFields {
  return { displayName: String(group.displayName ?? ''), mail: String(group.mail ?? '') };
}

export function numberFields(number: Record<string, unknown>): NumberFields {
  return {
    assignedTo: String(number.assignmentTargetId ?? ''),
    assignmentStatus: String(number.assignmentStatus ?? ''),
  };
}
