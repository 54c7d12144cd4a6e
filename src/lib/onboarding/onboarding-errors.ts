import { ConnectorError } from '../errors/connector-error.js';

export type RefusalCode =
  | 'manual_not_offered'
  | 'invalid_tenant_id'
  | 'invalid_client_id'
  | 'secret_not_pasted'
  | 'unexpected_tenant'
  | 'tenant_already_connected'
  | 'admin_lacks_application_administrator'
  | 'graph_missing'
  | 'permission_unknown'
  | 'secret_lifetime_refused';

/** Something the admin entered or chose that the connector cannot accept; nothing was stored. */
export class OnboardingRefused extends ConnectorError {
  constructor(
    readonly code: RefusalCode,
    message: string,
    /** The form field it concerns, on the manual path. */
    readonly field?: 'tenantId' | 'clientId' | 'clientSecret',
  ) {
    super(message);
  }
}
