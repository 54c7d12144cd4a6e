import { ConnectorError } from '../errors/connector-error.js';

/** The app registration lacks the Teams role the platform's Teams PowerShell needs; the customer's admin has a page. */
export class TeamsRolesMissing extends ConnectorError {
  readonly code = 'teams_roles_missing';
  override readonly extensions: { missingRoles: string[]; guidanceUrl: string };
  constructor(missingRoles: string[], guidanceUrl: string) {
    super(
      `The app registration does not hold ${missingRoles.join(' and ')} now, which Teams PowerShell needs to act without a user (or Teams Telephony Administrator together with Skype for Business Administrator). The customer’s admin can see what to assign at guidanceUrl; ask again once it is done. Nothing was issued.`,
    );
    this.extensions = { missingRoles, guidanceUrl };
  }
}

/** The role assignments could not be read, so whether the app holds a Teams role is unknown. */
export class TeamsRolesUnknown extends ConnectorError {
  readonly code = 'teams_roles_unknown';
  constructor() {
    super(
      'The connector could not read the app registration’s directory roles (it lacks RoleManagement.Read.Directory), so it cannot tell whether Teams PowerShell would accept its token. The customer’s admin grants admin consent for it; validate the tenant to see it. Nothing was issued.',
    );
  }
}

/** Microsoft does not document app-only Teams PowerShell in this cloud. */
export class TeamsNotInCloud extends ConnectorError {
  readonly code = 'teams_not_in_cloud';
  constructor() {
    super(
      'Microsoft documents application-based authentication of Teams PowerShell for the commercial cloud, GCC, GCC High and DoD only, not for this cloud: ask for the graph resource alone.',
    );
  }
}

/** The tenant asked for more tokens in the hour than the connector allows. */
export class AccessTokensRateLimited extends ConnectorError {
  readonly code = 'access_tokens_rate_limited';
  override readonly extensions: { retryAfterSeconds: number; limitPerHour: number };
  constructor(retryAfterSeconds: number, limitPerHour: number) {
    super(
      `The tenant asked for access tokens ${limitPerHour} times in the last hour, as many as ACCESS_TOKEN_REQUESTS_PER_HOUR allows: ask again after ${retryAfterSeconds} s, and reuse a token until it is close to its expiry.`,
    );
    this.extensions = { retryAfterSeconds, limitPerHour };
  }
}
