/**
 * The Microsoft Graph application permissions each part of the work needs on the app registration, checked
 * against the `roles` claim of an app-only token (admin consent granted).
 */
export const requiredPermissions = {
  /** Daily replication: users, groups with members, Teams configurations and Direct Routing numbers, own roles. */
  replication: [
    'User.Read.All',
    'GroupMember.Read.All',
    'TeamsUserConfiguration.Read.All',
    'TeamsTelephoneNumber.Read.All',
    'RoleManagement.Read.Directory',
  ],
  /** The part of replication that reads Teams telephony, which exists in the global service only. */
  teams: ['TeamsUserConfiguration.Read.All', 'TeamsTelephoneNumber.Read.All'],
  /** Rotating its own secrets before they expire (the app owns itself). */
  selfRotation: ['Application.ReadWrite.OwnedBy'],
  /**
   * Automatic DNS, by the permission route (operations.ts): sub-domain, activation user and its licence
   * (User.ReadWrite.All covers assignLicense too), the licences' free seats.
   */
  automaticDns: ['Domain.ReadWrite.All', 'User.ReadWrite.All', 'Organization.Read.All'],
  /** Near-real-time replication, when on: change notifications of users and of groups (the subscription page). */
  nearRealTime: ['User.Read.All', 'Group.Read.All'],
  /** Write-back, when the tenant uses it: numbers and Teams policies (their pages; global service only). */
  writeBack: ['TeamsTelephoneNumber.ReadWrite.All', 'TeamsPolicyUserAssign.ReadWrite.All'],
} as const;

/** Permissions that satisfy a required one because they include it. */
export const broaderPermissions: Record<string, readonly string[]> = {
  'User.Read.All': ['User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  'GroupMember.Read.All': [
    'Group.Read.All',
    'Group.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  'RoleManagement.Read.Directory': [
    'RoleManagement.ReadWrite.Directory',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  'Organization.Read.All': ['Directory.Read.All', 'Directory.ReadWrite.All'],
  'Group.Read.All': ['Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  'TeamsTelephoneNumber.Read.All': ['TeamsTelephoneNumber.ReadWrite.All'],
};

/** Replication's permissions in a cloud with, or without, the Teams telephony endpoints. */
export function replicationPermissions(teamsApis: boolean): readonly string[] {
  const teams: readonly string[] = requiredPermissions.teams;
  return teamsApis
    ? requiredPermissions.replication
    : requiredPermissions.replication.filter((permission) => !teams.includes(permission));
}

export function permissionsNeeded(options: {
  automaticDns: boolean;
  dnsNeededNow: boolean;
  teamsApis?: boolean;
  nearRealTime?: boolean;
  writeBack?: boolean;
}): string[] {
  return [
    ...new Set([
      ...replicationPermissions(options.teamsApis ?? true),
      ...requiredPermissions.selfRotation,
      ...(options.automaticDns && options.dnsNeededNow ? requiredPermissions.automaticDns : []),
      ...(options.nearRealTime ? requiredPermissions.nearRealTime : []),
      ...(options.writeBack && (options.teamsApis ?? true) ? requiredPermissions.writeBack : []),
    ]),
  ];
}
