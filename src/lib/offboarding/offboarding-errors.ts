import { ConnectorError } from '../errors/connector-error.js';
import type { OffboardingView } from './offboarding-progress.js';

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

/** The tenant is offboarded (or on its way out): its replica and change feed are deleted; what went and what is left. */
export class TenantOffboarded extends ConnectorError {
  readonly code = 'tenant_offboarded';
  override readonly extensions: { offboarding?: OffboardingView };
  constructor(tenantId: string, offboarding: OffboardingView | undefined) {
    super(
      `The tenant ${tenantId} is ${offboarding?.state === 'done' ? 'offboarded' : 'being offboarded'}: its replica and change feed are deleted. Delete your copy; a new invitation brings it back.`,
    );
    this.extensions = offboarding ? { offboarding } : {};
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
