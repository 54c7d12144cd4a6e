import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, jwtVerify, SignJWT } from 'jose';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** Signs and verifies the simulator's tokens with one RS256 key, published as a JWKS. */
export class TokenIssuer {
  private constructor(
    private readonly keys: KeyPair,
    private readonly jwk: JWK,
  ) {}

  static async create(): Promise<TokenIssuer> {
    const keys = await generateKeyPair('RS256', { extractable: true });
    const kid = randomUUID();
    const jwk = { ...(await exportJWK(keys.publicKey)), kid, use: 'sig', alg: 'RS256' };
    return new TokenIssuer(keys, jwk);
  }

  get jwks(): { keys: JWK[] } {
    return { keys: [this.jwk] };
  }

  sign(claims: JWTPayload, lifetimeSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.jwk.kid as string })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + lifetimeSeconds)
      .setJti(randomUUID())
      .sign(this.keys.privateKey);
  }

  /** The token's claims when it is ours, unexpired and meant for `audience`; undefined otherwise. */
  async verify(token: string, audience: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.keys.publicKey, { audience });
      return payload;
    } catch {
      return undefined;
    }
  }
}
