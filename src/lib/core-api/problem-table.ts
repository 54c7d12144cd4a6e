import { ConnectorError } from '../errors/connector-error.js';
import { type Problem, problemType } from '../http/problem.js';
import type { RefusalCode } from './core-request-refused.js';
import { CoreRequestRefused } from './core-request-refused.js';

const notSigned = { status: 401, title: 'The request is not signed by the platform core.' };

/**
 * Every error code a core request can end with, and the problem document it becomes (RFC 9457): the status and
 * the title here, the error's own message as the detail. Codes not listed are failures of ours: a bare 500.
 */
const problems: Record<RefusalCode | string, { status: number; title: string }> = {
  signature_missing: notSigned,
  signature_malformed: notSigned,
  signature_expired: notSigned,
  signature_from_future: notSigned,
  signature_mismatch: notSigned,
  replayed: notSigned,
  body_too_large: { status: 413, title: 'The request body is too large.' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json.' },
  invalid_json: { status: 400, title: 'The request body is not JSON.' },
  invalid_request: { status: 400, title: 'The request is not valid.' },
  unexpected_body: { status: 400, title: 'This operation takes no body.' },
  invitation_not_found: { status: 404, title: 'No such invitation.' },
  invitation_completed: { status: 409, title: 'The invitation was used already.' },
  tenant_not_found: { status: 404, title: 'No such tenant.' },
  tenant_not_ready: { status: 409, title: 'The tenant cannot be replicated now.' },
  tenant_still_onboarding: { status: 409, title: 'The tenant is still being onboarded.' },
  tenant_already_onboarded: { status: 409, title: 'This tenant is connected already.' },
  tenant_offboarded: {
    status: 410,
    title: 'The tenant is offboarded: its replica and change feed are deleted.',
  },
  cursor_expired: { status: 410, title: 'The cursor is older than what the change feed keeps.' },
  snapshot_page_invalid: { status: 400, title: 'The snapshot page token is not valid.' },
  run_not_found: { status: 404, title: 'No such replication run.' },
  run_not_held: { status: 409, title: 'The run holds no removals.' },
  service_not_found: { status: 404, title: 'No such service.' },
  rotation_in_progress: { status: 409, title: 'A rotation of this secret is under way.' },
  service_needs_customer: { status: 409, title: 'Only the customer’s admin can renew this secret.' },
  service_conflict: { status: 409, title: 'The service id is taken.' },
  last_service: { status: 409, title: 'The tenant’s last service cannot be removed.' },
  service_secret_refused: {
    status: 409,
    title: 'The tenant’s policy refuses a new client secret and a certificate.',
  },
  service_secret_pending: { status: 503, title: 'Adding the service is not finished yet.' },
  site_not_found: { status: 404, title: 'No such site.' },
  site_conflict: { status: 409, title: 'The site id or its sub-domain is taken.' },
  sites_not_configured: { status: 409, title: 'Sites are not configured on this connector.' },
  site_domain_invalid: { status: 400, title: 'The site’s sub-domain is not one Microsoft takes.' },
  site_roles_missing: { status: 409, title: 'The app registration lacks what a site needs.' },
  site_not_awaiting_dns: { status: 409, title: 'The site is not awaiting DNS.' },
  telephony_request_not_found: { status: 404, title: 'No such write-back request.' },
  telephony_request_conflict: { status: 409, title: 'The request id is taken with other details.' },
  write_back_unavailable: { status: 409, title: 'This cloud has no Teams write-back through Graph.' },
  write_back_off: { status: 409, title: 'Write-back is off for this tenant.' },
  teams_roles_missing: {
    status: 409,
    title: 'The app registration does not hold the Teams role Teams PowerShell needs.',
  },
  teams_roles_unknown: { status: 409, title: 'The app registration’s directory roles cannot be read.' },
  teams_not_in_cloud: { status: 409, title: 'This cloud has no app-only Teams PowerShell.' },
  near_real_time_permission_missing: {
    status: 409,
    title: 'The app registration lacks a permission change notifications need.',
  },
  near_real_time_busy: { status: 409, title: 'Near-real-time replication is being turned off right now.' },
  access_tokens_rate_limited: { status: 429, title: 'The tenant asked for too many access tokens.' },
  vault_unavailable: { status: 503, title: 'The connector cannot use its Key Vault now.' },
  identity_unavailable: { status: 503, title: 'Microsoft Entra is not answering now.' },
};

/** The codes the table turns into problem documents. */
export const problemCodes: ReadonlySet<string> = new Set(Object.keys(problems));

export const internalProblem: Problem = {
  type: problemType('internal'),
  title: 'The connector failed to handle the request.',
  status: 500,
};

/** What an API caller may see of an error: its problem document, or a bare 500 for anything not in the table. */
export function problemFor(error: unknown): Problem {
  const known = error instanceof ConnectorError ? problems[error.code] : undefined;
  if (!known || !(error instanceof ConnectorError)) return internalProblem;
  return {
    type: problemType(error.code),
    title: known.title,
    status: known.status,
    ...(error.message ? { detail: error.message } : {}),
    ...(error instanceof CoreRequestRefused && error.fields ? { errors: error.fields } : {}),
    ...error.extensions,
  };
}
