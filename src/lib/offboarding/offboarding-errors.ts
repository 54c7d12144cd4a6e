import { ConnectorError } from '../errors/connector-error.js';

/** An offboarding page link that is not known (or whose tenant is no longer offboarded), or has expired. */
export class OffboardingPageUnavailable extends ConnectorError {
  readonly code = 'offboarding_page_unavailable';
  constructor(readonly reason: 'unknown' | 'expired') {
    super(
      reason === 'unknown'
        ? 'This link is not known. Ask your service provider for a new one.'
        : 'This link has expired. Ask your service provider for a new one.',
    );
  }
}

/** The tenant's onboarding is under way (an admin signed in, the tenant not yet recorded): nothing to offboard yet. */
export class TenantStillOnboarding extends ConnectorError {
  readonly code = 'tenant_still_onboarding';
  constructor() {
    super(
      "The tenant's onboarding is under way and not finished: revoke its invitation, or offboard it once it is onboarded.",
    );
  }
}
