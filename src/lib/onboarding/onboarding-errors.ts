import type { InvitationStatus } from '../invitations/invitation-schema.js';

/** Why an invitation link cannot be used now; the page says so in words for the tenant admin. */
export class InvitationUnavailable extends Error {
  constructor(readonly status: Exclude<InvitationStatus, 'pending'> | 'unknown') {
    super(
      {
        unknown: 'This invitation link is not valid. Ask your service provider for a new one.',
        expired: 'This invitation has expired. Ask your service provider for a new one.',
        revoked: 'This invitation was withdrawn by your service provider.',
        completed: 'This invitation has been used already.',
      }[status],
    );
    this.name = 'InvitationUnavailable';
  }
}

/** Something the admin entered or chose that the connector cannot accept; nothing was stored. */
export class OnboardingRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'OnboardingRefused';
  }
}
