import { constants, createHash, verify, X509Certificate } from 'node:crypto';
import type { SimKeyCredential } from '../directory.js';

export interface CertificateJwt {
  credential: SimKeyCredential;
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export type CertificateJwtRefusal = 'malformed' | 'unknown_key' | 'bad_signature';

const decodePart = (part: string | undefined): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * A JWT signed with the private key of one of an app's certificates, found by the header's `x5t#S256` (SHA-256
 * thumbprint) or `x5t` (SHA-1), verified against that certificate's public key (RS256 or PS256). Claims are the
 * caller's to check. https://learn.microsoft.com/entra/identity-platform/certificate-credentials
 */
export function verifyCertificateJwt(
  jwt: string,
  credentials: readonly SimKeyCredential[],
): CertificateJwt | CertificateJwtRefusal {
  const [encodedHeader, encodedPayload, encodedSignature, ...rest] = jwt.split('.');
  const header = decodePart(encodedHeader);
  const payload = decodePart(encodedPayload);
  if (!header || !payload || !encodedSignature || rest.length > 0) return 'malformed';
  const credential = credentials.find(
    (candidate) =>
      candidate.thumbprintSha256 === header['x5t#S256'] ||
      createHash('sha1').update(candidate.der).digest('base64url') === header.x5t,
  );
  if (!credential) return 'unknown_key';
  if (header.alg !== 'RS256' && header.alg !== 'PS256') return 'bad_signature';
  const key = new X509Certificate(credential.der).publicKey;
  const valid = verify(
    'sha256',
    Buffer.from(`${encodedHeader}.${encodedPayload}`),
    header.alg === 'PS256'
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
      : { key, padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(encodedSignature, 'base64url'),
  );
  return valid ? { credential, header, payload } : 'bad_signature';
}
