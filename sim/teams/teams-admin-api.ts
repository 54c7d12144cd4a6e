import type { Directory } from '../directory.js';
import { roles } from '../graph/graph-permissions.js';
import { json, route, type SimRequest, type SimRoute } from '../http-kit.js';
import type { TokenIssuer } from '../token-issuer.js';

/** The "Skype and Teams Tenant Admin API" the MicrosoftTeams PowerShell module calls (its app id is the audience). */
export const teamsAdminResource = '48ac35b8-9aa8-4d74-927d-1f4a14a0b239';

/**
 * A stand-in for the Teams admin API behind Teams PowerShell's `Get-CsTenant`: it takes an app-only token of its
 * own resource for the tenant asked about, and only from an app holding Teams Administrator, or Teams Telephony
 * Administrator together with Skype for Business Administrator now, as Microsoft's application authentication page
 * for Teams PowerShell asks.
 */
export function teamsAdminRoutes(directory: Directory, issuer: TokenIssuer): SimRoute[] {
  return [route('GET', '/teams-admin/tenants/:tenant', (request) => tenantOf(directory, issuer, request))];
}

async function tenantOf(directory: Directory, issuer: TokenIssuer, request: SimRequest) {
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  const claims = bearer ? await issuer.verify(bearer, teamsAdminResource) : undefined;
  if (!claims) return json(401, { error: { code: 'Unauthorized', message: 'No valid token for this API.' } });
  const tenant = directory.tenants.get((request.params.tenant ?? '').toLowerCase());
  if (!tenant || claims.tid !== tenant.id)
    return json(403, { error: { code: 'Forbidden', message: 'The token is for another tenant.' } });
  // The roles as the directory has them now (a token's `wids` is a copy from when it was issued).
  const wids = typeof claims.oid === 'string' ? tenant.rolesOf(claims.oid) : [];
  const allowed =
    wids.includes(roles.teamsAdministrator) ||
    (wids.includes(roles.teamsTelephonyAdministrator) && wids.includes(roles.skypeForBusinessAdministrator));
  if (!allowed)
    return json(403, {
      error: {
        code: 'Forbidden',
        message:
          'The application does not hold a role that allows this: Teams Administrator, or Teams Telephony Administrator with Skype for Business Administrator.',
      },
    });
  return json(200, { TenantId: tenant.id, DisplayName: tenant.displayName });
}
