import { ConnectorError } from '../errors/connector-error.js';
import type { InvitationStatus } from './invitation-schema.js';

export class InvitationNotFound extends ConnectorError {
  readonly code = 'invitation_not_found';
  constructor(readonly invitationId: string) {
    super(`There is no invitation ${invitationId}.`);
  }
}

/** The invitation was used already (by this or, for `complete`, another tenant). */
export class InvitationCompleted extends ConnectorError {
  readonly code = 'invitation_completed';
}

const unavailable = {
  unknown: {
    code: 'invitation_unknown',
    message: 'This invitation link is not valid. Ask your service provider for a new one.',
  },
  expired: {
    code: 'invitation_expired',
    message: 'This invitation has expired. Ask your service provider for a new one.',
  },
  revoked: { code: 'invitation_revoked', message: 'This invitation was withdrawn by your service provider.' },
  completed: { code: 'invitation_used', message: 'This invitation has been used already.' },
} as const;

export type UnavailableStatus = Exclude<InvitationStatus, 'pending'> | 'unknown';

/** Why an invitation link cannot be used now; the page says so in words for the tenant admin. */
export class InvitationUnavailable extends ConnectorError {
  readonly code: (typeof unavailable)[UnavailableStatus]['code'];
  constructor(readonly status: UnavailableStatus) {
    super(unavailable[status].message);
    this.code = unavailable[status].code;
  }
}
