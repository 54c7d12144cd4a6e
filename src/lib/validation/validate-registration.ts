import { directoryRoles, roleName } from './directory-roles.js';
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
  /** The cloud's Graph has the Teams telephony endpoints (true when not said). */
  teamsApis?: boolean;
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
  note?: string;
}

export interface RequirementReport {
  id: 'replication' | 'automatic_dns' | 'self_rotation';
  description: string;
  satisfied: boolean;
  /** How it is satisfied, e.g. "Teams Administrator". */
  satisfiedBy?: string;
  missingRoles: string[];
  missingPermissions: string[];
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
    | 'services_share_secret';
  message: string;
}

export interface ValidationReport {
  verdict: Verdict;
  requirements: RequirementReport[];
  roles: RoleReport[];
  permissions: { granted: string[]; missing: string[]; notNeeded: string[] };
  warnings: Warning[];
}

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
  const hasDnsRoles = held.has(r.domainNameAdministrator.id) && held.has(r.userAdministrator.id);
  const missingOf = (permissions: readonly string[]) =>
    permissions.filter((permission) => !has(granted, permission));

  const teamsApis = input.teamsApis ?? true;
  const replicationMissingPermissions = missingOf(replicationPermissions(teamsApis));
  const replicationRolesOk = isGlobal || hasTeamsAdmin || hasPair;
  const replicationMissingRoles = replicationRolesOk
    ? []
    : held.has(r.teamsTelephonyAdministrator.id)
      ? [r.skypeForBusinessAdministrator.name]
      : held.has(r.skypeForBusinessAdministrator.id)
        ? [r.teamsTelephonyAdministrator.name]
        : [r.teamsAdministrator.name];
  const requirements: RequirementReport[] = [
    {
      id: 'replication',
      description: 'Daily replication of users, groups, members and Teams telephony settings',
      satisfied: replicationRolesOk && replicationMissingPermissions.length === 0,
      ...(replicationRolesOk
        ? {
            satisfiedBy: hasTeamsAdmin
              ? r.teamsAdministrator.name
              : hasPair
                ? `${r.teamsTelephonyAdministrator.name} + ${r.skypeForBusinessAdministrator.name}`
                : r.globalAdministrator.name,
          }
        : {}),
      missingRoles: replicationMissingRoles,
      missingPermissions: replicationMissingPermissions,
      ...(replicationRolesOk && replicationMissingPermissions.length === 0
        ? {}
        : {
            action: [
              replicationRolesOk
                ? ''
                : `Assign ${replicationMissingRoles.join(' and ')} to the app registration${replicationMissingRoles[0] === r.teamsAdministrator.name ? ` (or ${r.teamsTelephonyAdministrator.name} together with ${r.skypeForBusinessAdministrator.name})` : ''}.`,
              replicationMissingPermissions.length
                ? `Grant admin consent for ${replicationMissingPermissions.join(', ')}.`
                : '',
            ]
              .filter(Boolean)
              .join(' '),
          }),
    },
  ];

  const rotationMissing = missingOf(requiredPermissions.selfRotation);
  requirements.push({
    id: 'self_rotation',
    description: 'Rotating its own client secrets before they expire',
    satisfied: rotationMissing.length === 0,
    missingRoles: [],
    missingPermissions: rotationMissing,
    ...(rotationMissing.length ? { action: `Grant admin consent for ${rotationMissing.join(', ')}.` } : {}),
  });

  if (input.automaticDns) {
    const dnsMissingPermissions = dnsNeededNow ? missingOf(requiredPermissions.automaticDns) : [];
    const dnsMissingRoles =
      !dnsNeededNow || isGlobal || hasDnsRoles
        ? []
        : [r.domainNameAdministrator, r.userAdministrator]
            .filter((role) => !held.has(role.id))
            .map((role) => role.name);
    const satisfied = dnsMissingRoles.length === 0 && dnsMissingPermissions.length === 0;
    requirements.push({
      id: 'automatic_dns',
      description: dnsNeededNow
        ? 'Automatic DNS: the sub-domain and its activation user'
        : 'Automatic DNS: nothing to do now (the roles are needed again for a new site)',
      satisfied,
      ...(dnsNeededNow && satisfied
        ? {
            satisfiedBy:
              isGlobal && !hasDnsRoles
                ? r.globalAdministrator.name
                : `${r.domainNameAdministrator.name} + ${r.userAdministrator.name}`,
          }
        : {}),
      missingRoles: dnsMissingRoles,
      missingPermissions: dnsMissingPermissions,
      ...(satisfied
        ? {}
        : {
            action: [
              dnsMissingRoles.length
                ? `Assign ${dnsMissingRoles.join(' and ')} to the app registration.`
                : '',
              dnsMissingPermissions.length
                ? `Grant admin consent for ${dnsMissingPermissions.join(', ')}.`
                : '',
            ]
              .filter(Boolean)
              .join(' '),
          }),
    });
  }

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
      neededNow = dnsNeededNow;
      if (!input.automaticDns) note = 'Not needed: automatic DNS is not used.';
      else if (!dnsNeededNow) note = 'Not needed until a new site needs a new sub-domain.';
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
  ]);
  const notNeeded = [...granted].filter((permission) => !allNeeded.has(permission)).sort();
  for (const permission of notNeeded) {
    warnings.push({
      code: 'permission_not_needed',
      message: `The app has ${permission}, which the connector does not need (or more than it needs).`,
    });
  }

  const missing = [...new Set(requirements.flatMap((requirement) => requirement.missingPermissions))];
  const replication = requirements[0] as RequirementReport;
  const verdict: Verdict = !replication.satisfied
    ? 'blocked'
    : requirements.every((requirement) => requirement.satisfied)
      ? 'ready'
      : 'action_required';
  return {
    verdict,
    requirements,
    roles,
    permissions: { granted: [...granted].sort(), missing, notNeeded },
    warnings,
  };
}
