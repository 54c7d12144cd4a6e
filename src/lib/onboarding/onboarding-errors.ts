import { ConnectorError } from '../errors/connector-error.js';

export type RefusalCode =
  | 'automatic_not_offered'
  | 'automatic_not_configured'
  | 'other_invitation'
  | 'manual_not_offered'
  | 'invalid_tenant_id'
  | 'invalid_client_id'
  | 'secret_not_pasted'
  | 'service_secret_invalid'
  | 'unexpected_tenant'
  | 'tenant_already_connected'
  | 'tenant_not_connected'
  | 'admin_lacks_application_administrator'
  | 'admin_roles_unreadable'
  | 'graph_missing'
  | 'permission_unknown'
  | 'credential_refused'
  | 'directory_still_replicating';

/** Something the admin entered or chose that the connector cannot accept; nothing was stored. */
export class OnboardingRefused extends ConnectorError {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
  }
}
