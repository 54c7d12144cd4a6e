import { ConnectorError } from '../errors/connector-error.js';

/** Graph refused a subscription: the app lacks the permission it needs. */
export class NearRealTimePermissionMissing extends ConnectorError {
  readonly code = 'near_real_time_permission_missing';
  override readonly extensions: { missingPermissions: string[] };
  constructor(permission: string) {
    super(
      `Graph refused the subscription: the app registration needs ${permission} (application, with admin consent) for change notifications. Nothing was turned on.`,
    );
    this.extensions = { missingPermissions: [permission] };
  }
}

/** Turned on while its subscriptions are still being deleted (turned off a moment ago). */
export class NearRealTimeBusy extends ConnectorError {
  readonly code = 'near_real_time_busy';
  constructor() {
    super(
      "The tenant's near-real-time replication is being turned off right now: ask again in a minute (nothing was changed by this one).",
    );
  }
}
