import { decodeTime } from 'ulid';
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

/** A feed cursor before the last change the tenant's feed trimmed (FEED_RETENTION_DAYS): changes are missing. */
export class CursorExpired extends ConnectorError {
  readonly code = 'cursor_expired';
  override readonly extensions: { snapshot: string; trimmedUpTo: string };
  constructor(
    readonly tenantId: string,
    lastTrimmed: string,
  ) {
    const upTo = new Date(decodeTime(lastTrimmed.slice(0, 26))).toISOString();
    super(
      `The change feed no longer keeps the changes stored up to ${upTo}, and some of them come after this cursor. Read the replica's snapshot, then follow the feed from the cursor it ends with.`,
    );
    this.extensions = { snapshot: `/api/tenants/${tenantId}/replica`, trimmedUpTo: upTo };
  }
}

/** A snapshot page token this connector did not hand out for the tenant. */
export class SnapshotPageInvalid extends ConnectorError {
  readonly code = 'snapshot_page_invalid';
  constructor() {
    super('`page` must be a nextPage token a snapshot of this tenant returned.');
  }
}
