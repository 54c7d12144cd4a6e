/** Directory objects as Graph v1.0 shapes them (the properties the connector reads, and a few more). */
export interface SimUser {
  id: string;
  displayName: string;
  givenName: string;
  surname: string;
  userPrincipalName: string;
  mail: string | null;
  accountEnabled: boolean;
  usageLocation: string | null;
  jobTitle: string | null;
  businessPhones: string[];
  mobilePhone: string | null;
  officeLocation: string | null;
  preferredLanguage: string | null;
  assignedLicenses: { skuId: string; disabledPlans: string[] }[];
}

export interface SimGroup {
  id: string;
  displayName: string;
  description: string | null;
  mail: string | null;
  mailEnabled: boolean;
  mailNickname: string;
  securityEnabled: boolean;
  groupTypes: string[];
}

export interface SimTeamsUserConfiguration {
  id: string;
  userPrincipalName: string;
  isEnterpriseVoiceEnabled: boolean;
  accountType: 'user' | 'resourceAccount' | 'guest' | 'sfbOnPremUser' | 'unknown';
  featureTypes: string[];
  telephoneNumbers: { telephoneNumber: string; assignmentCategory: 'primary' | 'private' | 'alternate' }[];
  effectivePolicyAssignments: {
    policyType: string;
    policyAssignment: { displayName: string; policyId: string; assignmentType: 'direct' | 'group' };
  }[];
}

export interface SimNumberAssignment {
  id: string;
  telephoneNumber: string;
  numberType: 'directRouting' | 'callingPlan' | 'operatorConnect';
  assignmentTargetId: string | null;
  assignmentCategory: 'primary' | 'private' | 'alternate' | null;
  assignmentStatus: 'unassigned' | 'userAssigned' | 'conferenceAssigned' | 'voiceApplicationAssigned';
  activationState: 'activated' | 'assignmentPending' | 'assignmentFailed';
  capabilities: string[];
  city: string | null;
  isoCountryCode: string;
  locationId: string | null;
  networkSiteId: string | null;
  portInStatus: 'completed';
  reverseNumberLookupOptions: 'skipInternalVoip'[];
  supportedCustomerActions: ('locationUpdate' | 'release')[];
  civicAddressId: string | null;
  numberSource: 'online' | 'onPremises';
  operatorId: string;
}

export interface SimDomain {
  id: string;
  isVerified: boolean;
  isDefault: boolean;
  isInitial: boolean;
  authenticationType: 'Managed' | 'Federated';
  supportedServices: string[];
  verificationCode: string;
}

export interface SimSubscribedSku {
  id: string;
  skuId: string;
  skuPartNumber: string;
  capabilityStatus: 'Enabled' | 'Warning' | 'Suspended' | 'Deleted' | 'LockedOut';
  appliesTo: 'User';
  consumedUnits: number;
  prepaidUnits: { enabled: number; suspended: number; warning: number; lockedOut: number };
  servicePlans: {
    servicePlanId: string;
    servicePlanName: string;
    provisioningStatus: 'Success';
    appliesTo: 'User';
  }[];
}

export interface SimRoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string;
  /** Eligible through Privileged Identity Management, not activated: it grants nothing and is not in `wids`. */
  eligible?: boolean;
}

/** Why an object left the directory, as delta reports it. */
export type RemovalReason = 'changed' | 'deleted';

/** A user with Graph's defaults for everything but what is given. */
export function newUser(
  properties: Pick<SimUser, 'id' | 'displayName' | 'userPrincipalName'> & Partial<SimUser>,
): SimUser {
  return {
    givenName: '',
    surname: '',
    mail: null,
    accountEnabled: true,
    usageLocation: null,
    jobTitle: null,
    businessPhones: [],
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    assignedLicenses: [],
    ...properties,
  };
}
