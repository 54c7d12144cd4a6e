import { type DirectoryRoleKey, directoryRoles, roleName } from './directory-roles.js';
import {
  type Operation,
  operations,
  permissionsOf,
  type RequirementId,
  type Route,
  rolesOf,
} from './operations.js';
import { broaderPermissions, replicationPermissions, requiredPermissions } from './required-permissions.js';
import { type RoleStage, rolesTable } from './roles-table.js';

export type Verdict = 'ready' | 'action_required' | 'blocked';

export interface ValidationInput {
  automaticDns: boolean;
  /** Onboarding with automatic DNS, or a new site with a new sub-domain, still needs the DNS roles. */
  dnsWorkPending: boolean;
  /** Directory role template ids held by the app registration's service principal; null when they could not be read. */
  appRoleIds: readonly string[] | null;
  /** Graph application permissions from an app-only token's `roles` claim. */
  grantedPermissions: readonly string[];
  /** The app may change its own registration (with OwnedBy: it owns itself); null when Graph would not show it. */
  changesItself: boolean | null;
  /** The cloud's Graph has the Teams telephony endpoints (true when not said). */
  teamsApis?: boolean;
  /** Near-real-time replication is on: its change notifications need their permissions. */
  nearRealTime?: boolean;
  /** The core writes numbers and policies back through the connector: their permissions are needed. */
  writeBack?: boolean;
  /** Groups of services that use one and the same client secret. */
  sharedSecrets?: readonly (readonly string[])[];
}

export interface RoleReport {
  id: string;
  name: string;
  purpose: string;
  stage: RoleStage;
  holder: 'app' | 'signing_admin';
  /** Unknown for the signing admin outside the sign-in itself. */
  held: boolean | null;
  neededNow: boolean;
  removableNow: boolean;
  /** The operations the role serves (any one of the ways each accepts). */
  neededFor: string[];
  note?: string;
}

/** One operation of a requirement: done by any one of `accepts` (role names and permissions). */
export interface OperationReport {
  id: string;
  description: string;
  satisfied: boolean;
  satisfiedBy?: string;
  accepts: string[];
}

export interface RequirementReport {
  id: RequirementId;
  description: string;
  satisfied: boolean;
  /** How it is satisfied, e.g. "Teams Administrator". */
  satisfiedBy?: string;
  /** For an operation not satisfied, the roles that would do it (a role or a permission, not both, is needed). */
  missingRoles: string[];
  /** For an operation not satisfied, the permissions that would do it. */
  missingPermissions: string[];
  operations: OperationReport[];
  /** What to do, in words for the tenant admin. */
  action?: string;
}

export interface Warning {
  code:
    | 'over_privileged_global_administrator'
    | 'application_administrator_on_app'
    | 'role_not_needed'
    | 'permission_not_needed'
    | 'roles_unreadable'
    | 'teams_not_in_cloud'
    | 'services_share_secret'
    | 'self_ownership_unknown';
  message: string;
}

export interface ValidationReport {
  verdict: Verdict;
  requirements: RequirementReport[];
  roles: RoleReport[];
  permissions: {
    granted: string[];
    missing: string[];
    notNeeded: string[];
    /** Each permission the connector may use, and the operations it serves. */
    neededFor: { permission: string; operations: string[] }[];
  };
  warnings: Warning[];
}

const teamsPowerShell =
  "The platform's Teams PowerShell: voice routes, PSTN usages, voice routing policies, dial plans, numbers and users' telephony (no Graph call of the connector's needs it)";

const r = directoryRoles;
const knownRoleIds = new Set<string>([
  ...rolesTable.map((rule) => r[rule.role].id),
  r.globalAdministrator.id,
]);

function has(permissions: ReadonlySet<string>, needed: string): boolean {
  return (
    permissions.has(needed) || (broaderPermissions[needed] ?? []).some((broader) => permissions.has(broader))
  );
}

/**
 * Application.ReadWrite.OwnedBy changes only apps the app owns: granted to an app that does not own itself, it
 * renews nothing, so rotation is not satisfied until the app is its own owner.
 */
function selfRotation(report: RequirementReport, input: ValidationInput): RequirementReport {
  const ownsItself: OperationReport = {
    id: 'own_itself',
    description: 'Rotation: the app registration is an owner of itself',
    satisfied: input.changesItself !== false,
    accepts: ['its service principal as an owner of the app registration', 'Application.ReadWrite.All'],
  };
  if (!report.satisfied || input.changesItself !== false)
    return { ...report, operations: [...report.operations, ownsItself] };
  return {
    ...report,
    satisfied: false,
    operations: [...report.operations, ownsItself],
    action: ownerAction,
  };
}

/** What the admin does so the app owns itself (the manual page asks for the same). */
export const ownerAction =
  "Rotation: make the app registration an owner of itself (its own service principal as owner), so Application.ReadWrite.OwnedBy lets it renew its secrets; until then its secrets are renewed by you. With Microsoft Graph PowerShell: New-MgApplicationOwnerByRef -ApplicationId <the app's object ID> -OdataId https://graph.microsoft.com/v1.0/directoryObjects/<its enterprise application's object ID>.";

/**
 * The validator: the roles table and the permissions each option needs, applied to what the app registration
 * holds. Pure: the same input always gives the same report.
 */
export function validateRegistration(input: ValidationInput): ValidationReport {
  const held = new Set(input.appRoleIds ?? []);
  const granted = new Set(input.grantedPermissions);
  const isGlobal = held.has(r.globalAdministrator.id);
  const hasTeamsAdmin = held.has(r.teamsAdministrator.id);
  const hasPair = held.has(r.teamsTelephonyAdministrator.id) && held.has(r.skypeForBusinessAdministrator.id);
  const dnsNeededNow = input.automaticDns && input.dnsWorkPending;

  const teamsApis = input.teamsApis ?? true;
  const holdsRoute = (route: Route) =>
    'role' in route ? held.has(r[route.role].id) || isGlobal : has(granted, route.permission);
  const nameOf = (route: Route) => ('role' in route ? r[route.role].name : route.permission);
  const inScope = (operation: Operation) =>
    (teamsApis || !operation.teamsApisOnly) &&
    (operation.requirement !== 'automatic_dns' || dnsNeededNow) &&
    (operation.requirement !== 'near_real_time' || input.nearRealTime === true) &&
    (operation.requirement !== 'write_back' || input.writeBack === true);
  const operationReport = (operation: Operation): OperationReport => {
    const by = operation.anyOf.find(holdsRoute);
    return {
      id: operation.id,
      description: operation.description,
      satisfied: by !== undefined,
      ...(by ? { satisfiedBy: isGlobal && 'role' in by ? r.globalAdministrator.name : nameOf(by) } : {}),
      accepts: operation.anyOf.map(nameOf),
    };
  };
  /** A requirement made of operations, each satisfied by any of its routes. */
  const fromOperations = (id: RequirementId, description: string): RequirementReport => {
    const reports = operations.filter((operation) => operation.requirement === id && inScope(operation));
    const done = reports.map(operationReport);
    const open = reports.filter((_, index) => !done[index]?.satisfied);
    const missingRoles = [
      ...new Set(open.flatMap((operation) => rolesOf(operation).map((role) => r[role].name))),
    ];
    // A role for one open operation and a permission for another are both needed; for one operation, either.
    const missingPermissions = [
      ...new Set(open.flatMap((operation) => permissionsOf(operation).slice(0, 1))),
    ];
    const satisfied = open.length === 0;
    const routes = [
      ...new Set(done.flatMap((operation) => (operation.satisfiedBy ? [operation.satisfiedBy] : []))),
    ];
    return {
      id,
      description,
      satisfied,
      // Which route did it says something only where there is a choice (roles or permissions).
      ...(satisfied && routes.length && reports.some((operation) => operation.anyOf.length > 1)
        ? { satisfiedBy: routes.join(' + ') }
        : {}),
      missingRoles,
      missingPermissions,
      operations: done,
      ...(satisfied
        ? {}
        : {
            action: open
              .map((operation) => {
                const roles = rolesOf(operation).map((role) => r[role].name);
                const permissions = permissionsOf(operation);
                const ways = [
                  roles.length ? `assign ${roles.join(' or ')} to the app registration` : '',
                  permissions.length ? `grant admin consent for ${permissions.join(' or ')}` : '',
                ].filter(Boolean);
                return `${operation.description}: ${ways.join(', or ')}.`;
              })
              .join(' '),
          }),
    };
  };

  const teamsRolesOk = isGlobal || hasTeamsAdmin || hasPair;
  const teamsMissingRoles = teamsRolesOk
    ? []
    : held.has(r.teamsTelephonyAdministrator.id)
      ? [r.skypeForBusinessAdministrator.name]
      : held.has(r.skypeForBusinessAdministrator.id)
        ? [r.teamsTelephonyAdministrator.name]
        : [r.teamsAdministrator.name];
  const requirements: RequirementReport[] = [
    fromOperations('replication', 'Daily replication of users, groups, members and Teams telephony settings'),
    {
      id: 'teams_powershell',
      description: teamsPowerShell,
      satisfied: teamsRolesOk,
      ...(teamsRolesOk
        ? {
            satisfiedBy: hasTeamsAdmin
              ? r.teamsAdministrator.name
              : hasPair
                ? `${r.teamsTelephonyAdministrator.name} + ${r.skypeForBusinessAdministrator.name}`
                : r.globalAdministrator.name,
          }
        : {
            action: `Assign ${teamsMissingRoles.join(' and ')} to the app registration${teamsMissingRoles[0] === r.teamsAdministrator.name ? ` (or ${r.teamsTelephonyAdministrator.name} together with ${r.skypeForBusinessAdministrator.name})` : ''}.`,
          }),
      missingRoles: teamsMissingRoles,
      missingPermissions: [],
      operations: [
        {
          id: 'teams_powershell',
          description: teamsPowerShell,
          satisfied: teamsRolesOk,
          accepts: [
            r.teamsAdministrator.name,
            `${r.teamsTelephonyAdministrator.name} + ${r.skypeForBusinessAdministrator.name}`,
          ],
        },
      ],
    },
    selfRotation(
      fromOperations('self_rotation', 'Rotating its own client secrets before they expire'),
      input,
    ),
  ];
  if (input.automaticDns) {
    const dns = fromOperations(
      'automatic_dns',
      dnsNeededNow
        ? 'Automatic DNS: the sub-domain and its activation user'
        : 'Automatic DNS: nothing to do now (the roles or permissions are needed again for a new site)',
    );
    requirements.push(dns);
  }
  if (input.nearRealTime)
    requirements.push(
      fromOperations(
        'near_real_time',
        'Near-real-time replication: change notifications of users and groups',
      ),
    );

  if (input.writeBack && teamsApis)
    requirements.push(
      fromOperations('write_back', 'Write-back: Direct Routing numbers and Teams policies, for the core'),
    );

  const roles: RoleReport[] = rolesTable.map((rule) => {
    const id = r[rule.role].id;
    const heldNow = rule.holder === 'app' && input.appRoleIds !== null ? held.has(id) : null;
    let neededNow = false;
    let note: string | undefined;
    // With both ways held, keep Teams Administrator and let the pair go (never advise removing both).
    if (rule.role === 'teamsAdministrator') neededNow = hasTeamsAdmin || !hasPair;
    if (rule.role === 'teamsTelephonyAdministrator' || rule.role === 'skypeForBusinessAdministrator') {
      neededNow = !hasTeamsAdmin;
      if (hasTeamsAdmin && heldNow) note = `Not needed while the app holds ${r.teamsAdministrator.name}.`;
    }
    if (rule.role === 'domainNameAdministrator' || rule.role === 'userAdministrator') {
      // Needed only for an operation that no permission the app holds does instead.
      const served = operationsServedBy(rule.role);
      const coveredBy = served.flatMap((operation) =>
        permissionsOf(operation)
          .filter((permission) => has(granted, permission))
          .slice(0, 1),
      );
      const covered = coveredBy.length === served.length;
      neededNow = dnsNeededNow && !covered;
      if (!input.automaticDns) note = 'Not needed: automatic DNS is not used.';
      else if (!dnsNeededNow) note = 'Not needed until a new site needs a new sub-domain.';
      else if (covered)
        note = `Not needed while the app has ${[...new Set(coveredBy)].join(' and ')} (app-only calls succeed with either).`;
    }
    if (rule.role === 'applicationAdministrator') {
      note =
        'Held by the admin who signs in for automatic registration, not by the app; removable after onboarding.';
    }
    return {
      id,
      name: r[rule.role].name,
      purpose: rule.purpose,
      stage: rule.stage,
      holder: rule.holder,
      held: heldNow,
      neededNow,
      removableNow: heldNow === true && !neededNow,
      neededFor: roleNeededFor(rule.role),
      ...(note ? { note } : {}),
    };
  });

  const warnings: Warning[] = [];
  if (input.appRoleIds === null) {
    warnings.push({
      code: 'roles_unreadable',
      message:
        'The connector could not read the app’s role assignments: grant admin consent for RoleManagement.Read.Directory.',
    });
  }
  if (isGlobal) {
    warnings.push({
      code: 'over_privileged_global_administrator',
      message: `The app holds ${r.globalAdministrator.name}, far more than the work needs: assign ${r.teamsAdministrator.name}${input.automaticDns ? ` (and ${r.domainNameAdministrator.name} + ${r.userAdministrator.name} while automatic DNS has work to do)` : ''} instead, then remove it.`,
    });
  }
  if (held.has(r.applicationAdministrator.id)) {
    warnings.push({
      code: 'application_administrator_on_app',
      message: `The app holds ${r.applicationAdministrator.name}; it needs no such role (it rotates its own secrets as their owner). Remove it.`,
    });
  }
  for (const id of held) {
    if (!knownRoleIds.has(id) && id !== r.applicationAdministrator.id) {
      warnings.push({
        code: 'role_not_needed',
        message: `The app holds ${roleName(id)}, which the connector does not need. Remove it.`,
      });
    }
  }
  if (!teamsApis)
    warnings.push({
      code: 'teams_not_in_cloud',
      message:
        'Microsoft Graph in this cloud has no Teams telephony endpoints, so the connector replicates users, groups and members only; Teams permissions are not needed.',
    });
  if (input.changesItself === null && has(granted, requiredPermissions.selfRotation[0] as string))
    warnings.push({
      code: 'self_ownership_unknown',
      message:
        'Graph would not show the app registration to its own token, so whether it owns itself is unknown: without it, Application.ReadWrite.OwnedBy cannot renew its secrets.',
    });
  for (const group of input.sharedSecrets ?? []) {
    warnings.push({
      code: 'services_share_secret',
      message: `Services ${group.join(', ')} use one client secret: rotating or removing it affects all of them. Give each service a client secret of its own.`,
    });
  }
  const allNeeded = new Set<string>([
    ...replicationPermissions(teamsApis),
    ...requiredPermissions.selfRotation,
    ...(input.automaticDns ? requiredPermissions.automaticDns : []),
    ...(input.nearRealTime ? requiredPermissions.nearRealTime : []),
    ...(input.writeBack && teamsApis ? requiredPermissions.writeBack : []),
  ]);
  const notNeeded = [...granted].filter((permission) => !allNeeded.has(permission)).sort();
  for (const permission of notNeeded) {
    warnings.push({
      code: 'permission_not_needed',
      message: `The app has ${permission}, which the connector does not need (or more than it needs).`,
    });
  }

  const missing = [...new Set(requirements.flatMap((requirement) => requirement.missingPermissions))];
  const mandatory = requirements.filter(
    (requirement) => requirement.id === 'replication' || requirement.id === 'teams_powershell',
  );
  const verdict: Verdict = mandatory.some((requirement) => !requirement.satisfied)
    ? 'blocked'
    : requirements.every((requirement) => requirement.satisfied)
      ? 'ready'
      : 'action_required';
  return {
    verdict,
    requirements,
    roles,
    permissions: {
      granted: [...granted].sort(),
      missing,
      notNeeded,
      neededFor: permissionsNeededFor(teamsApis),
    },
    warnings,
  };
}

/** The operations a role serves, in words. */
function roleNeededFor(role: DirectoryRoleKey): string[] {
  if (
    role === 'teamsAdministrator' ||
    role === 'teamsTelephonyAdministrator' ||
    role === 'skypeForBusinessAdministrator'
  )
    return [teamsPowerShell];
  if (role === 'applicationAdministrator')
    return ['Automatic registration: create the app registration (the admin who signs in)'];
  return operationsServedBy(role).map((operation) => operation.description);
}

const operationsServedBy = (role: DirectoryRoleKey) =>
  operations.filter((operation) => rolesOf(operation).includes(role));

/** Each permission in the operations table, and what it is for. */
function permissionsNeededFor(teamsApis: boolean): { permission: string; operations: string[] }[] {
  const byPermission = new Map<string, string[]>();
  for (const operation of operations) {
    if (operation.teamsApisOnly && !teamsApis) continue;
    for (const permission of permissionsOf(operation))
      byPermission.set(permission, [...(byPermission.get(permission) ?? []), operation.description]);
  }
  return [...byPermission].map(([permission, served]) => ({ permission, operations: served }));
}
