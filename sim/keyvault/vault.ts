import { randomBytes } from 'node:crypto';

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

/** One simulated vault: its tenant, the apps allowed in, and its secrets with versions and soft delete. */
export class SimVault {
  readonly secrets = new Map<string, VaultSecret>();
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
