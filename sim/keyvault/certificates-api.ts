import { constants, createHash, privateEncrypt, randomBytes, randomUUID } from 'node:crypto';
import { json, readJson, route, type SimRequest, type SimRoute } from '../http-kit.js';
import type { TokenIssuer } from '../token-issuer.js';
import {
  type CertificatePolicyBody,
  type CertificateVersion,
  type SimVault,
  selfSignedVersion,
  type VaultCertificate,
} from './vault.js';
import { purgeAfterDays, seconds, vaultAccess, vaultError } from './vault-access.js';

const sha256DigestInfo = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** EMSA-PSS (RFC 8017 9.1.1) of a SHA-256 digest, salt of 32 bytes, for a key of `modulusBits`. */
function pssEncode(digest: Buffer, modulusBits: number): Buffer {
  const emBits = modulusBits - 1;
  const emLength = Math.ceil(emBits / 8);
  const salt = randomBytes(32);
  const h = createHash('sha256')
    .update(Buffer.concat([Buffer.alloc(8), digest, salt]))
    .digest();
  const db = Buffer.concat([Buffer.alloc(emLength - salt.length - h.length - 2), Buffer.from([1]), salt]);
  const mask = Buffer.alloc(db.length);
  for (let counter = 0, offset = 0; offset < mask.length; counter++, offset += 32) {
    const block = createHash('sha256')
      .update(
        Buffer.concat([
          h,
          Buffer.from([counter >>> 24, counter >>> 16, counter >>> 8, counter].map((b) => b & 255)),
        ]),
      )
      .digest();
    block.copy(mask, offset);
  }
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (mask[i] as number);
  db[0] = (db[0] as number) & (0xff >>> (8 * emLength - emBits));
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

/** Key Vault's sign: over a digest the caller made, never over the message (https://learn.microsoft.com/rest/api/keyvault/keys/sign). */
function signDigest(version: CertificateVersion, algorithm: string, digest: Buffer): Buffer | undefined {
  if (digest.length !== 32) return undefined;
  const key = version.privateKey;
  const modulusBits = key.asymmetricKeyDetails?.modulusLength ?? 2048;
  if (algorithm === 'RS256')
    return privateEncrypt(
      { key, padding: constants.RSA_PKCS1_PADDING },
      Buffer.concat([sha256DigestInfo, digest]),
    );
  if (algorithm === 'PS256')
    return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, pssEncode(digest, modulusBits));
  return undefined;
}

/**
 * Key Vault's certificates API (create with a self-signed policy, the pending operation, get, soft delete,
 * recover and purge) and the keys API the SDK's CryptographyClient uses with a certificate's key (get the public key, sign a
 * digest). The private key stays in the simulator, as with a non-exportable key.
 * Shapes: https://learn.microsoft.com/rest/api/keyvault/certificates, https://learn.microsoft.com/rest/api/keyvault/keys
 */
export function certificatesApi(
  vault: SimVault,
  vaultUrl: string,
  authorityHost: string,
  issuer: TokenIssuer,
): SimRoute[] {
  const access = vaultAccess(vault, authorityHost, issuer);
  const live = (name: string) => {
    const certificate = vault.certificates.get(name.toLowerCase());
    return certificate && !certificate.deleted ? certificate : undefined;
  };
  const notFound = (name: string) =>
    vaultError(
      404,
      'CertificateNotFound',
      `A certificate with (name/id) ${name} was not found in this key vault.`,
    );
  const keyNotFound = (name: string) =>
    vaultError(404, 'KeyNotFound', `A key with (name/id) ${name} was not found in this key vault.`);
  const completed = (certificate: VaultCertificate | undefined, version?: string) =>
    certificate?.versions
      .filter((candidate) => candidate.pendingPolls === 0 && (!version || candidate.version === version))
      .at(-1);
  const attributes = (version: CertificateVersion) => ({
    enabled: true,
    nbf: version.notBefore,
    exp: version.expires,
    created: version.created,
    updated: version.created,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: purgeAfterDays,
  });
  const bundle = (name: string, version: CertificateVersion) => ({
    id: `${vaultUrl}/certificates/${name}/${version.version}`,
    kid: `${vaultUrl}/keys/${name}/${version.version}`,
    sid: `${vaultUrl}/secrets/${name}/${version.version}`,
    x5t: createHash('sha1').update(version.der).digest('base64url'),
    cer: version.der.toString('base64'),
    attributes: attributes(version),
    policy: { id: `${vaultUrl}/certificates/${name}/policy`, ...version.policy },
    tags: version.tags,
  });
  const operation = (name: string, version: CertificateVersion) => ({
    id: `${vaultUrl}/certificates/${name}/pending`,
    issuer: { name: 'Self' },
    csr: '',
    cancellation_requested: false,
    request_id: randomUUID(),
    ...(version.pendingPolls > 0
      ? {
          status: 'inProgress',
          status_details: 'Pending certificate created. Certificate request is in progress.',
        }
      : { status: 'completed', target: `${vaultUrl}/certificates/${name}` }),
  });

  const create = async (request: SimRequest, name: string) => {
    if (!/^[0-9a-zA-Z-]{1,127}$/.test(name))
      return vaultError(
        400,
        'BadParameter',
        'The certificate name must be 1-127 letters, digits and dashes.',
      );
    const body = readJson<{ policy?: CertificatePolicyBody; tags?: Record<string, string> }>(request);
    const policy = body?.policy;
    if (policy?.issuer?.name !== 'Self')
      return vaultError(400, 'BadParameter', 'Only the Self issuer is supported by this vault.');
    if (policy.key_props?.kty && !/^RSA(-HSM)?$/.test(policy.key_props.kty))
      return vaultError(400, 'BadParameter', 'Only RSA keys are supported by this vault.');
    const existing = vault.certificates.get(name.toLowerCase());
    if (existing?.deleted)
      return vaultError(
        409,
        'Conflict',
        `Certificate ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the certificate can only be recovered or purged.`,
      );
    if (existing?.versions.some((version) => version.pendingPolls > 0))
      return vaultError(409, 'Conflict', `There is a pending operation for certificate ${name}.`);
    const version = await selfSignedVersion(policy, body?.tags ?? {});
    const certificate = existing ?? { versions: [] };
    certificate.versions.push(version);
    vault.certificates.set(name.toLowerCase(), certificate);
    return json(202, operation(name, version), { location: `${vaultUrl}/certificates/${name}/pending` });
  };

  return [
    route('POST', '/certificates/:name/create', access('certificates', create)),
    route(
      'GET',
      '/certificates/:name/pending',
      access('certificates', (_, name) => {
        const version = live(name)?.versions.at(-1);
        if (!version)
          return vaultError(404, 'PendingCertificateNotFound', `Pending certificate not found: ${name}`);
        const answer = json(200, operation(name, version));
        if (version.pendingPolls > 0) version.pendingPolls -= 1;
        return answer;
      }),
    ),
    route(
      'GET',
      '/certificates/:name/:version',
      access('certificates', (request, name) => {
        const version = completed(live(name), request.params.version);
        return version ? json(200, bundle(name, version)) : notFound(name);
      }),
    ),
    route(
      'GET',
      '/certificates/:name',
      access('certificates', (_, name) => {
        const version = completed(live(name));
        return version ? json(200, bundle(name, version)) : notFound(name);
      }),
    ),
    route(
      'DELETE',
      '/certificates/:name',
      access('certificates', (_, name) => {
        const certificate = live(name);
        const latest = completed(certificate);
        if (!certificate || !latest) return notFound(name);
        const now = seconds();
        certificate.deleted = { deletedDate: now, scheduledPurgeDate: now + purgeAfterDays * 24 * 3600 };
        return json(200, {
          ...bundle(name, latest),
          recoveryId: `${vaultUrl}/deletedcertificates/${name}`,
          ...certificate.deleted,
        });
      }),
    ),
    route(
      'GET',
      '/deletedcertificates/:name',
      access('certificates', (_, name) => {
        const certificate = vault.certificates.get(name.toLowerCase());
        const latest = completed(certificate);
        if (!certificate?.deleted || !latest)
          return vaultError(404, 'CertificateNotFound', `Deleted Certificate not found: ${name}`);
        return json(200, {
          ...bundle(name, latest),
          recoveryId: `${vaultUrl}/deletedcertificates/${name}`,
          ...certificate.deleted,
        });
      }),
    ),
    route(
      'POST',
      '/deletedcertificates/:name/recover',
      access('certificates', (_, name) => {
        const certificate = vault.certificates.get(name.toLowerCase());
        const latest = completed(certificate);
        if (!certificate?.deleted || !latest)
          return vaultError(404, 'CertificateNotFound', `Deleted Certificate not found: ${name}`);
        certificate.deleted = undefined;
        return json(200, bundle(name, latest));
      }),
    ),
    route(
      'DELETE',
      '/deletedcertificates/:name',
      access('certificates', (_, name) => {
        const certificate = vault.certificates.get(name.toLowerCase());
        if (!certificate?.deleted)
          return vaultError(404, 'CertificateNotFound', `Deleted Certificate not found: ${name}`);
        vault.certificates.delete(name.toLowerCase());
        return { status: 204 };
      }),
    ),
    route(
      'GET',
      '/keys/:name/:version',
      access('keys', (request, name) => {
        const version = completed(live(name), request.params.version);
        if (!version) return keyNotFound(name);
        const jwk = version.privateKey.export({ format: 'jwk' });
        return json(200, {
          key: {
            kid: `${vaultUrl}/keys/${name}/${version.version}`,
            kty: 'RSA',
            key_ops: ['sign', 'verify'],
            n: jwk.n,
            e: jwk.e,
          },
          attributes: { ...attributes(version), exportable: version.policy.key_props?.exportable ?? false },
          managed: true,
        });
      }),
    ),
    route(
      'POST',
      '/keys/:name/:version/sign',
      access('keys', (request, name) => {
        const version = completed(live(name), request.params.version);
        if (!version) return keyNotFound(name);
        const body = readJson<{ alg?: string; value?: string }>(request);
        const signature = signDigest(version, body?.alg ?? '', Buffer.from(body?.value ?? '', 'base64url'));
        if (!signature)
          return vaultError(
            400,
            'BadParameter',
            'The algorithm or the digest length is not valid for this key.',
          );
        return json(200, {
          kid: `${vaultUrl}/keys/${name}/${version.version}`,
          value: signature.toString('base64url'),
        });
      }),
    ),
  ];
}
