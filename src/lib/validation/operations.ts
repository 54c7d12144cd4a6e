import type { DirectoryRoleKey } from './directory-roles.js';

/** One way Microsoft accepts for an operation: a directory role held by the app, or an application permission. */
export type Route = { role: DirectoryRoleKey } | { permission: string };

export const requirementIds = [
  'replication',
  'teams_powershell',
  'automatic_dns',
  'self_rotation',
  'near_real_time',
  'write_back',
] as const;
export type RequirementId = (typeof requirementIds)[number];

/** Something the connector (or the platform with the connector's registration) does in the customer's tenant. */
export interface Operation {
  id: string;
  requirement: RequirementId;
  description: string;
  /** Any one of these lets the app do it (Microsoft's permission tables; app-only calls honour directory roles too). */
  anyOf: readonly Route[];
  /** Only where Graph has the Teams telephony endpoints (the global service). */
  teamsApisOnly?: boolean;
}

/**
 * What each operation needs, in one place (docs/microsoft-facts.md, "Least privilege"). The Teams PowerShell roles
 * are not in this table: no Graph call of the connector's needs them; the platform's Teams PowerShell does
 * (Teams Administrator, or Teams Telephony Administrator together with Skype for Business Administrator).
 */
export const operations: readonly Operation[] = [
  {
    id: 'read_users',
    requirement: 'replication',
    description: 'Replication: read users',
    anyOf: [{ permission: 'User.Read.All' }],
  },
  {
    id: 'read_groups',
    requirement: 'replication',
    description: 'Replication: read groups and their members',
    anyOf: [{ permission: 'GroupMember.Read.All' }],
  },
  {
    id: 'read_teams_users',
    requirement: 'replication',
    description: "Replication: read users' Teams telephony settings",
    anyOf: [{ permission: 'TeamsUserConfiguration.Read.All' }],
    teamsApisOnly: true,
  },
  {
    id: 'read_numbers',
    requirement: 'replication',
    description: 'Replication: read Direct Routing numbers',
    anyOf: [{ permission: 'TeamsTelephoneNumber.Read.All' }],
    teamsApisOnly: true,
  },
  {
    id: 'read_own_roles',
    requirement: 'replication',
    description: 'Validation: read the roles the app holds',
    anyOf: [{ permission: 'RoleManagement.Read.Directory' }],
  },
  {
    id: 'rotate_own_secrets',
    requirement: 'self_rotation',
    description: 'Rotation: add and remove its own secrets and certificates',
    anyOf: [{ permission: 'Application.ReadWrite.OwnedBy' }],
  },
  {
    id: 'notify_users',
    requirement: 'near_real_time',
    description: 'Near-real-time: change notifications of users',
    anyOf: [{ permission: 'User.Read.All' }],
  },
  {
    id: 'notify_groups',
    requirement: 'near_real_time',
    description: 'Near-real-time: change notifications of groups',
    anyOf: [{ permission: 'Group.Read.All' }],
  },
  {
    id: 'assign_numbers',
    requirement: 'write_back',
    description: 'Write-back: assign, unassign and update Direct Routing numbers',
    anyOf: [{ permission: 'TeamsTelephoneNumber.ReadWrite.All' }],
    teamsApisOnly: true,
  },
  {
    id: 'assign_policies',
    requirement: 'write_back',
    description: 'Write-back: assign and unassign Teams policies',
    anyOf: [{ permission: 'TeamsPolicyUserAssign.ReadWrite.All' }],
    teamsApisOnly: true,
  },
  {
    id: 'manage_domains',
    requirement: 'automatic_dns',
    description: "Sites: add, and verify, the site's sub-domain",
    anyOf: [{ role: 'domainNameAdministrator' }, { permission: 'Domain.ReadWrite.All' }],
  },
  {
    id: 'create_activation_user',
    requirement: 'automatic_dns',
    description: 'Sites: create and read the activation user',
    anyOf: [{ role: 'userAdministrator' }, { permission: 'User.ReadWrite.All' }],
  },
  {
    id: 'license_activation_user',
    requirement: 'automatic_dns',
    description: 'Sites: give the activation user a Teams Phone licence',
    anyOf: [
      { role: 'userAdministrator' },
      { permission: 'User.ReadWrite.All' },
      { permission: 'LicenseAssignment.ReadWrite.All' },
    ],
  },
  {
    id: 'read_licences',
    requirement: 'automatic_dns',
    description: "Sites: read the tenant's licences and their free seats",
    // Whether a directory role alone reads subscribedSkus app-only is UNCONFIRMED: the permission is asked for.
    anyOf: [{ permission: 'Organization.Read.All' }, { permission: 'LicenseAssignment.Read.All' }],
  },
];

/** The directory roles among an operation's ways. */
export const rolesOf = (operation: Operation): DirectoryRoleKey[] =>
  operation.anyOf.flatMap((route) => ('role' in route ? [route.role] : []));

/** The permissions among an operation's ways, in the table's order (the least privileged first). */
export const permissionsOf = (operation: Operation): string[] =>
  operation.anyOf.flatMap((route) => ('permission' in route ? [route.permission] : []));
