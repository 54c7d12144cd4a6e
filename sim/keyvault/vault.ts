import { createPrivateKey, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags: Record<string, string>;
  enabled: boolean;
  notBefore?: number;
  expires?: number;
  created: number;
  updated: number;
}

export interface VaultSecret {
  versions: SecretVersion[];
  deleted?: { deletedDate: number; scheduledPurgeDate: number };
}

/** One simulated vault: its tenant, the apps allowed in, its secrets and certificates with versions and soft delete. */
export class SimVault {
  readonly secrets = new Map<string, VaultSecret>();
  readonly certificates = new Map<string, VaultCertificate>();
  readonly allowedAppIds = new Set<string>();

  constructor(
    readonly name: string,
    readonly tenantId: string,
  ) {}

  static newVersionId(): string {
    return randomBytes(16).toString('hex');
  }

  /** Adds a new version of a secret (as a set does), for seeding and for the REST API. */
  put(
    name: string,
    input: {
      value: string;
      contentType?: string;
      tags?: Record<string, string>;
      enabled?: boolean;
      notBefore?: number;
      expires?: number;
    },
  ): SecretVersion {
    const now = Math.floor(Date.now() / 1000);
    const version: SecretVersion = {
      version: SimVault.newVersionId(),
      value: input.value,
      contentType: input.contentType,
      tags: input.tags ?? {},
      enabled: input.enabled ?? true,
      notBefore: input.notBefore,
      expires: input.expires,
      created: now,
      updated: now,
    };
    const secret = this.secrets.get(name.toLowerCase()) ?? { versions: [] };
    secret.versions.push(version);
    this.secrets.set(name.toLowerCase(), secret);
    return version;
  }
}

/** One version of a Key Vault certificate and the key that comes with it (the private key never leaves). */
export interface CertificateVersion {
  version: string;
  /** Raw policy as sent (`key_props`, `x509_props`, `issuer`, …). */
  policy: CertificatePolicyBody;
  tags: Record<string, string>;
  created: number;
  /** Polls of the pending operation still to answer `inProgress` (a self-signed one completes within seconds). */
  pendingPolls: number;
  der: Buffer;
  privateKey: KeyObject;
  notBefore: number;
  expires: number;
}

export interface CertificatePolicyBody {
  key_props?: { exportable?: boolean; kty?: string; key_size?: number; reuse_key?: boolean };
  x509_props?: { subject?: string; validity_months?: number; key_usage?: string[] };
  issuer?: { name?: string };
  secret_props?: { contentType?: string };
}

export interface VaultCertificate {
  versions: CertificateVersion[];
  deleted?: { deletedDate: number; scheduledPurgeDate: number };
}

/** A self-signed certificate as Key Vault's `Self` issuer makes one: RSA, SHA-256, the policy's subject and validity. */
export async function selfSignedVersion(
  policy: CertificatePolicyBody,
  tags: Record<string, string>,
): Promise<CertificateVersion> {
  const months = policy.x509_props?.validity_months ?? 12;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore);
  notAfter.setUTCMonth(notAfter.getUTCMonth() + months);
  const commonName = /CN=([^,]+)/i.exec(policy.x509_props?.subject ?? '')?.[1] ?? 'certificate';
  const made = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'rsa',
    keySize: policy.key_props?.key_size ?? 2048,
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    ],
  });
  return {
    version: SimVault.newVersionId(),
    policy,
    tags,
    created: Math.floor(Date.now() / 1000),
    pendingPolls: 2,
    der: Buffer.from(new X509Certificate(made.cert).raw),
    privateKey: createPrivateKey(made.private),
    notBefore: Math.floor(notBefore.getTime() / 1000),
    expires: Math.floor(notAfter.getTime() / 1000),
  };
}
