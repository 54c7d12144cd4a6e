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
}
