import { ConnectorError } from '../errors/connector-error.js';

export class ServiceNotFound extends ConnectorError {
  readonly code = 'service_not_found';
  constructor(serviceId: string) {
    super(`The tenant has no service ${serviceId}.`);
  }
}

/** The id is taken: by an active service with other details, or by a request for one still under way. */
export class ServiceConflict extends ConnectorError {
  readonly code = 'service_conflict';
  constructor(serviceId: string) {
    super(
      `The tenant has a service ${serviceId} already, with another name or licence type. Choose another id.`,
    );
  }
}

export class LastServiceRemoval extends ConnectorError {
  readonly code = 'last_service';
  constructor() {
    super('This is the tenant’s last service: offboard the tenant instead.');
  }
}

/** The registration does not let the connector add secrets to itself. */
export class ServiceNeedsCustomer extends ConnectorError {
  readonly code = 'service_needs_customer';
  constructor(reason: string) {
    super(`The connector cannot add a secret to this tenant's app registration: ${reason}`);
  }
}

/** The tenant's policy refuses a new client secret of any lifetime the connector tries. */
export class ServiceSecretRefused extends ConnectorError {
  readonly code = 'service_secret_refused';
  constructor() {
    super(
      "The tenant's app management policy refuses both new client secrets and the connector's certificate, so nothing was added. The customer's admin must allow one of them for the app.",
    );
  }
}

/**
 * Adding the service must wait (Microsoft does not accept the new secret yet, Key Vault or Graph not answering, or
 * another request at work on it): the connector carries on by itself, and the same request later answers the result.
 */
export class ServiceSecretPending extends ConnectorError {
  readonly code = 'service_secret_pending';
  constructor(said?: string) {
    super(
      `${said ? `Adding the service waits: ${said}.` : 'The new secret is not accepted by Microsoft yet (it can take minutes).'} The connector carries on by itself and tells the core with tenant.service_added; the same request sent again later answers the result.`,
    );
  }
}

/** A customer's link that does not (or no longer) lead anywhere; shown as a page. */
export class ServiceLinkUnavailable extends ConnectorError {
  readonly code = 'service_link_unavailable';
  constructor(readonly reason: 'unknown' | 'expired' | 'done') {
    super(
      {
        unknown: 'This link is not valid. Ask your service provider for a new one.',
        expired: 'This link has expired. Ask your service provider for a new one.',
        done: 'The secret for this service was given already: there is nothing left to do here.',
      }[reason],
    );
  }
}
