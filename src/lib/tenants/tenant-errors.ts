import { ConnectorError } from '../errors/connector-error.js';

export class TenantNotFound extends ConnectorError {
  readonly code = 'tenant_not_found';
  constructor(readonly tenantId: string) {
    super(`The connector has no tenant ${tenantId}.`);
  }
}

/** The tenant cannot do that now (credentials invalid, required roles missing, offboarded), and what fixes it. */
export class TenantNotReady extends ConnectorError {
  readonly code = 'tenant_not_ready';
  constructor(
    readonly reason: string,
    fix = 'Validate it once fixed.',
  ) {
    super(`Not ready: ${reason.replace(/\.$/, '')}. ${fix}`);
  }
}

/** What mends credentials that no longer work (or are gone): a reconnect link for the customer's admin. */
export const reconnectFix =
  "Reconnect it: POST /tenants/{tenantId}/reconnect (npm run cli -- reconnect <tenantId>) gives a link for the customer's admin.";

/** The tenant is connected through another invitation. */
export class TenantAlreadyOnboarded extends ConnectorError {
  readonly code = 'tenant_already_onboarded';
  constructor() {
    super('It was onboarded through another invitation.');
  }
}
