import { directoryRoles as r } from './directory-roles.js';

export interface SigningAdminCheck {
  /** Application Administrator (or Cloud Application Administrator, or Global Administrator): may create the app. */
  canCreateRegistration: boolean;
  /** Privileged Role Administrator or Global Administrator: may also grant its permissions and assign its roles. */
  canGrantAndAssign: boolean;
}

/** What the admin who signed in may do, from the id_token's `wids` (directory role template ids). */
export function checkSigningAdmin(wids: readonly string[]): SigningAdminCheck {
  const held = new Set(wids);
  const global = held.has(r.globalAdministrator.id);
  return {
    canCreateRegistration:
      global || held.has(r.applicationAdministrator.id) || held.has(r.cloudApplicationAdministrator.id),
    canGrantAndAssign: global || held.has(r.privilegedRoleAdministrator.id),
  };
}
