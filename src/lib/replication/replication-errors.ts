import { ConnectorError } from '../errors/connector-error.js';

export class RunNotFound extends ConnectorError {
  readonly code = 'run_not_found';
  constructor(readonly runId: string) {
    super(`The tenant has no replication run ${runId}.`);
  }
}

/** Only the tenant's current hold can be released. */
export class RunNotHeld extends ConnectorError {
  readonly code = 'run_not_held';
  constructor(readonly runId: string) {
    super(`Run ${runId} holds no removals now: only the tenant's current hold can be released.`);
  }
}

/** The tenant's replication lease was taken over while this worker held it (it stalled past the lease's term). */
export class LeaseLost extends ConnectorError {
  readonly code = 'replication_lease_lost';
  constructor(readonly tenantId: string) {
    super(`Another worker took over the replication lease of ${tenantId}; this one stopped.`);
  }
}
