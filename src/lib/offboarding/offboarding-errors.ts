import { ConnectorError } from '../errors/connector-error.js';

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
