import type { SimApplication } from '../directory.js';
import { roles } from '../graph/graph-permissions.js';
import type { SimRequest } from '../http-kit.js';
import { readForm } from '../http-kit.js';
import type { TenantState } from '../tenant/tenant-state.js';

const consentingRoles: readonly string[] = [
  roles.globalAdministrator,
  roles.privilegedRoleAdministrator,
  roles.applicationAdministrator,
  roles.cloudApplicationAdministrator,
];
/** Delegated scopes a user may consent to alone; anything else needs an administrator. */
const userConsentable = new Set(['User.Read', 'openid', 'profile', 'email', 'offline_access']);

export interface PickedUser {
  tenant: TenantState;
  user: NonNullable<ReturnType<TenantState['users']['get']>>;
  wids: string[];
}

/** The account picked on a sign-in page (`user` = `{tenantId}:{userId}`), among the tenants offered. */
export function pickUser(form: URLSearchParams, tenants: TenantState[]): PickedUser | undefined {
  const [tenantId, userId] = (form.get('user') ?? '').split(':');
  const tenant = tenants.find((candidate) => candidate.id === tenantId);
  const user = tenant?.users.get(userId ?? '');
  return tenant && user ? { tenant, user, wids: tenant.rolesOf(user.id) } : undefined;
}

/**
 * A person's consent to an app's delegated Graph permissions: an administrator's is for the whole organisation
 * (after it, anyone may sign in for those scopes); anyone else may consent only to the harmless ones. On success
 * the app gets its service principal in the tenant. False when an administrator must consent first.
 */
export function consentDelegated(picked: PickedUser, app: SimApplication, names: string[]): boolean {
  const isAdmin = picked.wids.some((role) => consentingRoles.includes(role));
  const granted = picked.tenant.delegatedConsents.get(app.appId) ?? new Set<string>();
  if (isAdmin) picked.tenant.delegatedConsents.set(app.appId, new Set([...granted, ...names]));
  else if (names.some((name) => !userConsentable.has(name) && !granted.has(name))) return false;
  picked.tenant.addServicePrincipal(app.appId, app.displayName);
  return true;
}

/** The parameters of a page: its query on GET, its form on POST. */
export const paramsOf = (request: SimRequest) =>
  request.method === 'POST' ? readForm(request) : request.url.searchParams;
