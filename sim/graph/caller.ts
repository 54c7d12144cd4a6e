import type { JWTPayload } from 'jose';
import type { Directory } from '../directory.js';
import { bearerToken, type SimRequest, type SimResponse } from '../http-kit.js';
import type { TenantState } from '../tenant/tenant-state.js';
import type { TokenIssuer } from '../token-issuer.js';
import { forbidden, graphError } from './graph-error.js';
import { roles } from './graph-permissions.js';

/** Who is calling Graph: an app on its own (application permissions) or a signed-in user through an app. */
export interface Caller {
  kind: 'app' | 'user';
  tenant: TenantState;
  appId: string;
  /** Application permissions (`roles`) or delegated scopes (`scp`). */
  permissions: Set<string>;
  /** Directory role template ids: the user's active roles, or those assigned to the app's service principal. */
  directoryRoles: Set<string>;
  /** The user's object id, or the service principal's. */
  objectId: string;
}

/** What one Graph operation needs, as its documentation's permissions table says. */
/** A permission, or permissions that suffice only together (Graph's tables write them "A and B"). */
export type PermissionEntry = string | readonly string[];

export interface Requirement {
  /** Application permissions, any of which suffices. */
  application: readonly PermissionEntry[];
  /** Delegated scopes, any of which suffices. */
  delegated: readonly PermissionEntry[];
  /** Directory roles, any of which the caller must also hold (delegated), or that stand in for a permission (app). */
  roles?: string[];
  /** The service's own refusal, where it is not Entra's `Authorization_RequestDenied` (the Teams endpoints). */
  denied?: () => SimResponse;
}

/** Verifies Graph bearer tokens, keeping recent results so a busy client costs one verification per token. */
export class GraphAuthenticator {
  private readonly verified = new Map<string, JWTPayload>();

  constructor(
    private readonly issuer: TokenIssuer,
    private readonly directory: Directory,
    private readonly audiences: readonly string[],
  ) {}

  async authenticate(request: SimRequest): Promise<Caller | SimResponse> {
    const token = bearerToken(request);
    if (!token) return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    let claims = this.verified.get(token);
    if (!claims || (claims.exp ?? 0) * 1000 <= Date.now()) {
      claims = undefined;
      for (const audience of this.audiences) {
        claims = await this.issuer.verify(token, audience);
        if (claims) break;
      }
      if (!claims)
        return graphError(
          401,
          'InvalidAuthenticationToken',
          'Access token validation failure. Invalid audience.',
        );
      if (this.verified.size > 1000) this.verified.clear();
      this.verified.set(token, claims);
    }
    const tenant = this.directory.tenants.get(String(claims.tid));
    if (!tenant)
      return graphError(
        401,
        'InvalidAuthenticationToken',
        'Access token validation failure. Invalid tenant.',
      );
    const appId = String(claims.appid ?? claims.azp);
    if (claims.idtyp === 'app') {
      const principal = tenant.servicePrincipalByAppId(appId);
      return {
        kind: 'app',
        tenant,
        appId,
        permissions: new Set((claims.roles as string[] | undefined) ?? []),
        directoryRoles: new Set(principal ? tenant.rolesOf(principal.id) : []),
        objectId: String(claims.oid),
      };
    }
    return {
      kind: 'user',
      tenant,
      appId,
      permissions: new Set(
        String(claims.scp ?? '')
          .split(' ')
          .filter(Boolean),
      ),
      // Graph checks the user's directory roles as they are now, whatever the token says (or leaves out).
      directoryRoles: new Set(tenant.rolesOf(String(claims.oid))),
      objectId: String(claims.oid),
    };
  }
}

/** Undefined when the caller may make the call; Graph's 403 otherwise. */
export function authorize(caller: Caller, requirement: Requirement): SimResponse | undefined {
  const refused = permits(caller, requirement);
  return refused && requirement.denied ? requirement.denied() : refused;
}

function permits(caller: Caller, requirement: Requirement): SimResponse | undefined {
  const hasRole = (wanted: string[] | undefined) =>
    caller.directoryRoles.has(roles.globalAdministrator) ||
    (wanted ?? []).some((role) => caller.directoryRoles.has(role));
  const holds = (entry: PermissionEntry) =>
    typeof entry === 'string'
      ? caller.permissions.has(entry)
      : entry.every((permission) => caller.permissions.has(permission));
  if (caller.kind === 'app') {
    const permitted = requirement.application.some(holds);
    return permitted || (requirement.roles && hasRole(requirement.roles)) ? undefined : forbidden();
  }
  const scoped = requirement.delegated.some(holds);
  if (!scoped) return forbidden();
  return requirement.roles && !hasRole(requirement.roles) ? forbidden() : undefined;
}
