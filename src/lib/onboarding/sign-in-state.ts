import { createHash, randomBytes } from 'node:crypto';
import type { Cookie, HttpRequest } from '@azure/functions';
import { ConnectorError } from '../errors/connector-error.js';
import { readCookie } from '../http/browser-request.js';
import { constantTimeEqual } from '../security/constant-time-equal.js';
import type { EntityTable } from '../storage/entity-table.js';
import { ConcurrencyError } from '../storage/storage-errors.js';

/** A sign-in or consent round trip in progress: kept under the state's hash; the secrets ride in the cookie. */
export interface SignInStateRecord {
  purpose: 'sign_in' | 'consent';
  invitationId: string;
  /** For consent: the tenant the new app lives in (never taken from the redirect's query). */
  tenantId?: string;
  bindingHash: string;
  expiresAt: string;
  usedAt?: string;
}

/** What the browser keeps, HttpOnly, for the round trip: the binding, the PKCE verifier, the invitation link token. */
export interface SignInCookie {
  binding: string;
  verifier: string;
  token: string;
}

export const signInCookieName = '__Host-connector-signin';
const lifetimeMs = 10 * 60_000;
const hash = (value: string) => createHash('sha256').update(value).digest('hex');

export type StateRefusal = 'missing' | 'unknown' | 'used' | 'expired' | 'other_browser';

/** A returning sign-in or consent that must be refused; its state is left untouched. */
export class SignInStateError extends ConnectorError {
  readonly code: `state_${StateRefusal}`;
  constructor(reason: StateRefusal) {
    super(
      {
        missing: 'The sign-in did not come back with its state.',
        unknown: 'This sign-in is not one the connector started.',
        used: 'This sign-in was completed already. Open the invitation link again to see the result.',
        expired: 'The sign-in took too long. Open the invitation link and start again.',
        other_browser:
          'The sign-in was started in another browser. Open the invitation link in this browser and start again.',
      }[reason],
    );
    this.code = `state_${reason}`;
  }
}

/**
 * One-time `state` values: unguessable (256 bits), expiring in 10 minutes, bound to the browser by an HttpOnly
 * Secure SameSite=Lax cookie, checked before anything else and used once.
 */
export class SignInStates {
  constructor(private readonly table: EntityTable<SignInStateRecord>) {}

  async begin(
    input: {
      purpose: SignInStateRecord['purpose'];
      invitationId: string;
      tenantId?: string;
      verifier: string;
      token: string;
    },
    now = new Date(),
  ) {
    const state = randomBytes(32).toString('base64url');
    const binding = randomBytes(32).toString('base64url');
    const stateHash = hash(state);
    await this.table.insert({
      partitionKey: stateHash.slice(0, 2),
      rowKey: stateHash,
      purpose: input.purpose,
      invitationId: input.invitationId,
      ...(input.tenantId ? { tenantId: input.tenantId } : {}),
      bindingHash: hash(binding),
      expiresAt: new Date(now.getTime() + lifetimeMs).toISOString(),
    });
    const value: SignInCookie = { binding, verifier: input.verifier, token: input.token };
    const cookie: Cookie = {
      name: signInCookieName,
      value: Buffer.from(JSON.stringify(value)).toString('base64url'),
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
      path: '/',
      maxAge: lifetimeMs / 1000,
    };
    return { state, cookie };
  }

  /** Checks and uses up a returning state; SignInStateError when it must be refused. */
  async complete(
    request: HttpRequest,
    purpose: SignInStateRecord['purpose'],
    now = new Date(),
  ): Promise<{ record: SignInStateRecord; cookie: SignInCookie }> {
    const state = request.query.get('state');
    if (!state || state.length > 200) throw new SignInStateError('missing');
    const stateHash = hash(state);
    const stored = await this.table.get(stateHash.slice(0, 2), stateHash);
    if (!stored || stored.entity.purpose !== purpose) throw new SignInStateError('unknown');
    if (stored.entity.usedAt) throw new SignInStateError('used');
    if (Date.parse(stored.entity.expiresAt) <= now.getTime()) throw new SignInStateError('expired');
    const cookie = parseCookieValue(readCookie(request, signInCookieName));
    if (!cookie || !constantTimeEqual(hash(cookie.binding), stored.entity.bindingHash))
      throw new SignInStateError('other_browser');
    try {
      await this.table.update({ ...stored.entity, usedAt: now.toISOString() }, stored.etag);
    } catch (error) {
      if (error instanceof ConcurrencyError) throw new SignInStateError('used');
      throw error;
    }
    return { record: stored.entity, cookie };
  }
}

function parseCookieValue(value: string | undefined): SignInCookie | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<SignInCookie>;
    return typeof parsed.binding === 'string' &&
      typeof parsed.verifier === 'string' &&
      typeof parsed.token === 'string'
      ? (parsed as SignInCookie)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Clears the round-trip cookie once it has served. */
export const clearedSignInCookie: Cookie = {
  name: signInCookieName,
  value: '',
  httpOnly: true,
  secure: true,
  sameSite: 'Lax',
  path: '/',
  maxAge: 0,
};
