import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/**
 * Standard Webhooks signatures, both ways: the platform core's requests are verified with them, the connector's
 * events to the core are signed with them (https://www.standardwebhooks.com).
 */

/** Why a signature was refused. */
export type SignatureRefusal =
  | 'signature_missing'
  | 'signature_malformed'
  | 'signature_expired'
  | 'signature_from_future'
  | 'signature_mismatch';

/** A signature refused, with what is wrong in words safe to answer (the caller's edge makes its answer of it). */
export class SignatureRefused extends Error {
  constructor(
    readonly code: SignatureRefusal,
    detail: string,
  ) {
    super(detail);
  }
}

/** Standard Webhooks: the sender's clock may differ from ours by up to five minutes either way. */
export const toleranceSeconds = 5 * 60;

const idFormat = /^[\x21-\x7e]{1,255}$/;
const timestampFormat = /^\d{1,12}$/;
const signatureFormat = /^v\d+,[A-Za-z0-9+/]+={0,2}$/;

export interface SignedRequest {
  id: string;
  timestamp: number;
}

const refuse = (code: SignatureRefusal, detail: string) => new SignatureRefused(code, detail);

/**
 * Verifies a Standard Webhooks signature (HMAC-SHA256 over `id.timestamp.body`) against every accepted secret,
 * so secrets can be rotated without downtime. Header formats are checked strictly first; the HMAC comparison is
 * the `standardwebhooks` library's, in constant time. Throws a SignatureRefused that names what is wrong.
 */
export function verifyRequestSignature(
  rawBody: string,
  headers: Record<string, string>,
  secrets: readonly string[],
  nowSeconds = Math.floor(Date.now() / 1000),
): SignedRequest {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signature = headers['webhook-signature'];
  if (id === undefined || timestamp === undefined || signature === undefined) {
    const missing = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].filter(
      (name) => headers[name] === undefined,
    );
    throw refuse('signature_missing', `Missing header: ${missing.join(', ')}.`);
  }
  if (!idFormat.test(id))
    throw refuse('signature_malformed', 'webhook-id must be 1 to 255 printable characters.');
  if (!timestampFormat.test(timestamp))
    throw refuse('signature_malformed', 'webhook-timestamp must be whole seconds since 1970.');
  const entries = signature.split(' ').filter(Boolean);
  if (entries.length === 0 || !entries.every((entry) => signatureFormat.test(entry))) {
    throw refuse(
      'signature_malformed',
      'webhook-signature must be a space-separated list of version,base64 entries.',
    );
  }
  const age = nowSeconds - Number(timestamp);
  if (age > toleranceSeconds)
    throw refuse('signature_expired', 'webhook-timestamp is more than five minutes old.');
  if (age < -toleranceSeconds)
    throw refuse('signature_from_future', 'webhook-timestamp is more than five minutes ahead.');

  // The library reads headers with Object.keys: hand it a plain object with only these three.
  const plain = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
  for (const secret of secrets) {
    try {
      new Webhook(secret).verify(rawBody, plain, { jsonParse: false } as never);
      return { id, timestamp: Number(timestamp) };
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
    }
  }
  throw refuse('signature_mismatch', 'No signature matches the body with any accepted secret.');
}

/** Signs a body the way the platform core does (and the connector does for its events). */
export function signRequest(
  secret: string,
  id: string,
  body: string,
  timestamp = new Date(),
): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, timestamp, body),
  };
}
