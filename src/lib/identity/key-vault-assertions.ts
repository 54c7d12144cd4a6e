import { createHash, randomUUID } from 'node:crypto';
import { isRestError } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { CryptographyClient } from '@azure/keyvault-keys';
import type { VaultCertificate } from './app-credential.js';
import { CredentialProblem } from './credential-problem.js';

/** Graph's application id as the audience of a proof of possession for addKey and removeKey. */
const proofAudience = '00000002-0000-0000-c000-000000000000';
const lifetimeSeconds = 600;

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const thumbprint = (certificate: VaultCertificate, algorithm: 'sha1' | 'sha256') =>
  createHash(algorithm).update(Buffer.from(certificate.certificate, 'base64')).digest('base64url');

/**
 * JWTs signed by Key Vault with a certificate's key (`CryptographyClient.sign` over the SHA-256 digest), so the
 * private key never leaves the vault: client assertions for Entra's token endpoint, and the proof of possession
 * addKey and removeKey ask for.
 */
export class KeyVaultAssertions {
  private readonly clients = new Map<string, CryptographyClient>();

  constructor(
    private readonly credential: TokenCredential,
    private readonly options: { disableChallengeResourceVerification?: boolean } = {},
  ) {}

  /**
   * A client assertion for the token endpoint: PS256 with the certificate's SHA-256 thumbprint (`x5t#S256`), `aud`
   * the token endpoint, `iss` and `sub` the client id, valid 10 minutes.
   * https://learn.microsoft.com/entra/identity-platform/certificate-credentials
   */
  clientAssertion(certificate: VaultCertificate, clientId: string, tokenEndpoint: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return this.sign(
      certificate,
      { alg: 'PS256', typ: 'JWT', 'x5t#S256': thumbprint(certificate, 'sha256') },
      {
        aud: tokenEndpoint,
        iss: clientId,
        sub: clientId,
        jti: randomUUID(),
        nbf: now,
        iat: now,
        exp: now + lifetimeSeconds,
      },
    );
  }

  /**
   * A proof of possession of one of the app's current certificates: RS256 with its SHA-1 thumbprint (`x5t`), `aud`
   * `00000002-0000-0000-c000-000000000000`, `iss` the application's object id, valid 10 minutes.
   * https://learn.microsoft.com/graph/application-rollkey-prooftoken
   */
  proofOfPossession(certificate: VaultCertificate, appObjectId: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return this.sign(
      certificate,
      // As Microsoft's sample (X509SigningCredentials) makes it: kid is the SHA-1 thumbprint in upper-case hex.
      {
        alg: 'RS256',
        typ: 'JWT',
        x5t: thumbprint(certificate, 'sha1'),
        kid: Buffer.from(thumbprint(certificate, 'sha1'), 'base64url').toString('hex').toUpperCase(),
      },
      { aud: proofAudience, iss: appObjectId, nbf: now, exp: now + lifetimeSeconds },
    );
  }

  private async sign(
    certificate: VaultCertificate,
    header: { alg: 'PS256' | 'RS256' } & Record<string, string>,
    payload: object,
  ): Promise<string> {
    const input = `${encode(header)}.${encode(payload)}`;
    const digest = createHash('sha256').update(input).digest();
    let signature: Uint8Array;
    try {
      ({ result: signature } = await this.client(certificate.keyUrl).sign(header.alg, digest));
    } catch (error) {
      // The certificate's key is gone from the vault (deleted, or that version no longer exists): only a new
      // certificate mends it, which a reconnect makes.
      if (isRestError(error) && error.statusCode === 404) throw new CredentialProblem('certificate_missing');
      throw error;
    }
    return `${input}.${Buffer.from(signature).toString('base64url')}`;
  }

  private client(keyUrl: string): CryptographyClient {
    let client = this.clients.get(keyUrl);
    if (!client) {
      client = new CryptographyClient(keyUrl, this.credential, this.options);
      this.clients.set(keyUrl, client);
    }
    return client;
  }
}
