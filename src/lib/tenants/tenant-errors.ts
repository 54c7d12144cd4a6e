import { ConnectorError } from '../errors/connector-error.js';

export class TenantNotFound extends ConnectorError {
  readonly code = 'tenant_not_found';
  constructor(readonly tenantId: string) {
    super(`The connector has no tenant ${tenantId}.`);
  }
}

/** The tenant cannot do that now (credentials invalid, required roles missing, offboarded). */
export class TenantNotReady extends ConnectorError {
  readonly code = 'tenant_not_ready';
  constructor(readonly reason: string) {
    super(`Not ready: ${reason}. Validate it once fixed.`);
  }
}

/** The tenant is connected through another invitation. */
export class TenantAlreadyOnboarded extends ConnectorError {
  readonly code = 'tenant_already_onboarded';
  constructor() {
    super('It was onboarded through another invitation.');
  }
}
