import { ConnectorError } from '../errors/connector-error.js';

export class TelephonyRequestNotFound extends ConnectorError {
  readonly code = 'telephony_request_not_found';
  constructor(requestId: string) {
    super(`The tenant has no write-back request ${requestId}.`);
  }
}

/** The request id is taken by a request with other details. */
export class TelephonyRequestConflict extends ConnectorError {
  readonly code = 'telephony_request_conflict';
  constructor(requestId: string) {
    super(
      `Request ${requestId} was taken with other details: the same id with the same details is the same request; choose a new id for a new request.`,
    );
  }
}

/** The cloud's Graph has no Teams telephony write-back (global service only). */
export class WriteBackUnavailable extends ConnectorError {
  readonly code = 'write_back_unavailable';
  constructor() {
    super(
      'This cloud’s Microsoft Graph has no Teams number or policy assignment (Microsoft offers it in the global service only): use Teams PowerShell with an access token from POST …/access-tokens instead.',
    );
  }
}

/** The tenant was not set up for write-back, so its app registration was not given the permissions. */
export class WriteBackOff extends ConnectorError {
  readonly code = 'write_back_off';
  constructor() {
    super(
      'Write-back is off for this tenant: turn it on (PUT …/write-back {"enabled": true}) and have the customer’s admin grant the permissions the validation report then lists.',
    );
  }
}
