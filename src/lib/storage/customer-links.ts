import { hashLinkToken, newLinkToken } from '../security/link-token.js';
import type { EntityTable } from '../storage/entity-table.js';
import { EntityExistsError } from '../storage/storage-errors.js';

const linkRow = 'link';

/**
 * Links for a customer's admin (a page to give a service its secret, a page of roles to assign), each in a table
 * of its own keyed by the token's hash as invitation tokens are: only the hash is stored. A link only points at
 * what it is for (`T`); whether it still works is that thing's to say.
 */
export class CustomerLinks<T extends Record<string, string>> {
  constructor(
    private readonly table: EntityTable<T>,
    private readonly fields: readonly (keyof T & string)[],
  ) {}

  async issue(link: T): Promise<string> {
    for (;;) {
      const token = newLinkToken();
      try {
        await this.table.insert({ partitionKey: hashLinkToken(token), rowKey: linkRow, ...link });
        return token;
      } catch (error) {
        if (!(error instanceof EntityExistsError)) throw error;
      }
    }
  }

  async find(token: string): Promise<T | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const stored = await this.table.get(hashLinkToken(token), linkRow);
    if (!stored) return undefined;
    return Object.fromEntries(this.fields.map((field) => [field, stored.entity[field]])) as unknown as T;
  }
}

/** A link for a customer's admin to give one service its secret: the request it was made for (`requestedAt`). */
export interface ServiceSecretLink extends Record<string, string> {
  tenantId: string;
  serviceId: string;
  requestedAt: string;
}

/** A link for a customer's admin to the roles a site needs, until `expiresAt`. */
export interface RoleGuidanceLink extends Record<string, string> {
  tenantId: string;
  expiresAt: string;
  /** What the roles are for: a new site (links made before it existed), or the platform's Teams PowerShell. */
  purpose: RolePurpose;
}

export type RolePurpose = 'sites' | 'teams_powershell' | 'write_back';

/** A link for a customer's admin to what an offboarding removed and what is left to them. */
export interface OffboardingLink extends Record<string, string> {
  tenantId: string;
  expiresAt: string;
}
