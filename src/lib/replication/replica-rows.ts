import { createHash } from 'node:crypto';

/** The replica's row kinds, as RowKey prefixes in the tenant's partition of the `Replica` table. */
export const rowPrefix = {
  user: 'user|',
  group: 'group|',
  member: 'member|',
  number: 'number|',
  change: 'change|',
} as const;
export type ObjectKind = 'user' | 'group' | 'member' | 'number';

/** A range filter for one row kind (`|` sorts before `}`, so `kind|` up to `kind}` holds exactly that kind). */
export const kindRange = (kind: keyof typeof rowPrefix) =>
  `RowKey ge '${rowPrefix[kind]}' and RowKey lt '${rowPrefix[kind].slice(0, -1)}}'`;

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

interface TeamsConfiguration {
  id: string;
  isEnterpriseVoiceEnabled?: boolean;
  featureTypes?: string[];
  telephoneNumbers?: { telephoneNumber: string }[];
  effectivePolicyAssignments?: { policyType: string; policyAssignment?: { displayName?: string } }[];
}

const policy = (configuration: TeamsConfiguration, type: string) =>
  configuration.effectivePolicyAssignments?.find((assignment) => assignment.policyType === type)
    ?.policyAssignment?.displayName ?? '';

/** Graph's Teams user configuration → the replica's voice fields (Teams Phone licence from its feature types). */
export function voiceFields(configuration: TeamsConfiguration): VoiceFields {
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

export const noVoice: VoiceFields = {
  teamsPhoneLicence: false,
  phoneNumbers: '[]',
  enterpriseVoice: false,
  voiceRoutingPolicy: '',
  callingPolicy: '',
};

export function groupFields(group: Record<string, unknown>): GroupFields {
  return { displayName: String(group.displayName ?? ''), mail: String(group.mail ?? '') };
}

export function numberFields(number: Record<string, unknown>): NumberFields {
  return {
    assignedTo: String(number.assignmentTargetId ?? ''),
    assignmentStatus: String(number.assignmentStatus ?? ''),
  };
}
