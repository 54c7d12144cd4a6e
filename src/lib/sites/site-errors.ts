import { ConnectorError } from '../errors/connector-error.js';

export class SiteNotFound extends ConnectorError {
  readonly code = 'site_not_found';
  constructor(siteId: string) {
    super(`The tenant has no site ${siteId}.`);
  }
}

/** The site id is taken with other details, or the sub-domain is another site's. */
export class SiteConflict extends ConnectorError {
  readonly code = 'site_conflict';
}

/** SBC_BASE_DOMAIN is not set: the connector has no base domain to make sub-domains of. */
export class SitesNotConfigured extends ConnectorError {
  readonly code = 'sites_not_configured';
  constructor() {
    super('Sites need the operator’s SBC base domain: set SBC_BASE_DOMAIN (and SBC_DNS_TARGET).');
  }
}

/** The label would make a sub-domain Microsoft does not take. */
export class SiteDomainInvalid extends ConnectorError {
  readonly code = 'site_domain_invalid';
}

/** The app lacks what a site's work needs now; the customer's admin has a page that lists it. */
export class SiteRolesMissing extends ConnectorError {
  readonly code = 'site_roles_missing';
  override readonly extensions: { missingRoles: string[]; missingPermissions: string[]; guidanceUrl: string };
  constructor(missing: { roles: string[]; permissions: string[] }, guidanceUrl: string) {
    const needed = [...missing.roles, ...missing.permissions.map((permission) => `${permission} (consent)`)];
    super(
      `The app registration needs ${needed.join(', ')} to add a site. The customer’s admin can see what to assign at guidanceUrl; send the request again once it is done.`,
    );
    this.extensions = {
      missingRoles: missing.roles,
      missingPermissions: missing.permissions,
      guidanceUrl,
    };
  }
}

export class SiteNotAwaitingDns extends ConnectorError {
  readonly code = 'site_not_awaiting_dns';
  constructor(siteId: string, state: string) {
    super(`Site ${siteId} is ${state}, not awaiting DNS: there is nothing to verify.`);
  }
}

/** A customer's role guidance link that does not (or no longer) lead anywhere; shown as a page. */
export class RoleGuidanceUnavailable extends ConnectorError {
  readonly code = 'role_guidance_unavailable';
  constructor(readonly reason: 'unknown' | 'expired' | 'busy') {
    super(
      {
        unknown: 'This link is not valid. Ask your service provider for a new one.',
        expired: 'This link has expired. Ask your service provider for a new one.',
        busy: 'This page was checked very often just now. Check again in a minute.',
      }[reason],
    );
  }
}
