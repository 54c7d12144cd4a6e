import type { CredentialProblemCode } from '../../identity/credential-problem.js';
import type { InvitationUnavailable } from '../../invitations/invitation-errors.js';
import type { RefusalCode } from '../onboarding-errors.js';
import type { StateRefusal } from '../sign-in-state.js';
import type { BrowserRefusalCode } from './browser-refused.js';

type InvitationCode = InvitationUnavailable['code'];
type PageCode =
  | 'graph_request_failed'
  | 'vault_unavailable'
  | 'identity_unavailable'
  | BrowserRefusalCode
  | `state_${StateRefusal}`
  | InvitationCode
  | RefusalCode
  | CredentialProblemCode;

export interface RefusalPage {
  status: number;
  title: string;
  /** The manual form's field the refusal concerns (the form is shown again with the message there). */
  field?: 'tenantId' | 'clientId' | 'clientSecret';
  /** Trying again later can finish it: the page links back to the invitation. */
  again?: boolean;
  /** Refused before the round trip's state was looked at: its cookie stays, so the genuine redirect still works. */
  stateKept?: boolean;
  /** The page's text, when the error's own message is not for people (a failure at Microsoft). */
  text?: string;
}

const startAgain = { status: 400, title: 'Please start again' };
const returnRefused = { ...startAgain, stateKept: true };
const unusable = { status: 410, title: 'This invitation cannot be used' };
const notRegistered = { status: 403, title: 'The app was not registered' };
const signInFailed = { status: 400, title: 'Sign-in failed' };

/**
 * Every error code a browser request can end with, and the page it becomes: its status and title here, the
 * error's own message as the text. Codes not listed are failures of ours (the host answers 500, the log has them).
 */
const pages: Record<PageCode, RefusalPage> = {
  return_too_long: { ...returnRefused, status: 414 },
  return_repeated_parameter: returnRefused,
  return_without_code: startAgain,
  sign_in_declined: { status: 400, title: 'Consent declined' },
  sign_in_needs_consent: { status: 400, title: 'An administrator must consent' },
  microsoft_sign_in_error: { status: 400, title: 'Microsoft did not sign you in' },
  consent_not_granted: { status: 400, title: 'Consent was not granted' },
  form_not_ours: startAgain,
  form_too_large: { status: 413, title: 'Too much data' },
  check_link_unusable: { status: 410, title: 'This link cannot be used' },
  state_missing: startAgain,
  state_unknown: startAgain,
  state_used: startAgain,
  state_expired: startAgain,
  state_other_browser: startAgain,
  invitation_unknown: { status: 404, title: 'This invitation cannot be used' },
  invitation_expired: unusable,
  invitation_revoked: unusable,
  invitation_used: unusable,
  other_invitation: startAgain,
  automatic_not_offered: { status: 400, title: 'Manual registration only' },
  automatic_not_configured: { status: 503, title: 'Automatic registration is not available' },
  manual_not_offered: notRegistered,
  invalid_tenant_id: { ...notRegistered, field: 'tenantId' },
  invalid_client_id: { ...notRegistered, field: 'clientId' },
  secret_not_pasted: { ...notRegistered, field: 'clientSecret' },
  service_secret_invalid: signInFailed,
  unexpected_tenant: { ...notRegistered, field: 'tenantId' },
  tenant_already_connected: { ...notRegistered, status: 409 },
  tenant_not_connected: { ...notRegistered, status: 409 },
  admin_lacks_application_administrator: notRegistered,
  admin_roles_unreadable: notRegistered,
  graph_missing: notRegistered,
  permission_unknown: notRegistered,
  credential_refused: notRegistered,
  directory_still_replicating: { status: 503, title: 'Almost done', again: true },
  graph_request_failed: {
    status: 502,
    title: 'Microsoft did not answer',
    again: true,
    text: 'Microsoft did not finish a request. Open the invitation link and try again: what was made already is kept, nothing is made twice.',
  },
  invalid_secret: { ...signInFailed, field: 'clientSecret' },
  secret_expired: { ...signInFailed, field: 'clientSecret' },
  app_not_found: { ...signInFailed, field: 'clientId' },
  tenant_not_found: { ...signInFailed, field: 'tenantId' },
  consent_missing: signInFailed,
  secret_disabled: signInFailed,
  invalid_certificate: signInFailed,
  certificate_missing: signInFailed,
  vault_unavailable: {
    status: 503,
    title: 'Please try again later',
    text: 'The connector cannot reach what it keeps for your connection right now. Nothing changed; try again in a few minutes.',
  },
  identity_unavailable: {
    status: 503,
    title: 'Please try again later',
    again: true,
    text: 'Microsoft did not answer the sign-in in time. Nothing changed; open the invitation link and try again in a few minutes.',
  },
  blocked_by_conditional_access: signInFailed,
  sign_in_failed: signInFailed,
};

/** The page for an error's code, or undefined when it is not a refusal (a failure of ours). */
export function refusalPage(code: string | undefined): RefusalPage | undefined {
  return code && code in pages ? pages[code as PageCode] : undefined;
}
