import { createHash, randomBytes } from 'node:crypto';

/** What an authorization code stands for, until it is redeemed once or expires. */
export interface CodeGrant {
  clientId: string;
  redirectUri: string;
  tenantId: string;
  userId: string;
  scopes: string[];
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  nonce?: string;
  expiresAt: number;
  redeemed: boolean;
}

/** Codes live about 10 minutes (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow). */
export const codeLifetimeMs = 10 * 60 * 1000;

export class AuthorizationCodes {
  private readonly codes = new Map<string, CodeGrant>();

  issue(grant: Omit<CodeGrant, 'expiresAt' | 'redeemed'>): string {
    const code = randomBytes(32).toString('base64url');
    this.codes.set(code, { ...grant, expiresAt: Date.now() + codeLifetimeMs, redeemed: false });
    return code;
  }

  find(code: string): CodeGrant | undefined {
    return this.codes.get(code);
  }

  /** Makes every outstanding code expire now (for tests of the expiry path). */
  expireAll(): void {
    for (const grant of this.codes.values()) grant.expiresAt = 0;
  }
}

/** RFC 7636: S256 is BASE64URL(SHA256(verifier)); plain is the verifier itself. */
export function verifierMatches(grant: CodeGrant, verifier: string | null): boolean {
  if (!grant.codeChallenge) return true;
  if (!verifier) return false;
  const computed =
    grant.codeChallengeMethod === 'plain'
      ? verifier
      : createHash('sha256').update(verifier).digest('base64url');
  return computed === grant.codeChallenge;
}
