import { createHash, randomBytes } from 'node:crypto';

/** A token for a link sent to a person (an invitation, a customer's link): 256 random bits, URL-safe. Only its hash is stored. */
export function newLinkToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
