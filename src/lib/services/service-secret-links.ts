import { hashInvitationToken, newInvitationToken } from '../invitations/invitation-token.js';
import type { EntityTable } from '../storage/entity-table.js';
import { EntityExistsError } from '../storage/storage-errors.js';

/** A link for a customer's admin to give one service its secret; only its hash is stored. */
export interface ServiceSecretLink {
  tenantId: string;
  serviceId: string;
}

const linkRow = 'link';

/**
 * The links (table `ServiceSecretLinks`, keyed by the token's hash as invitation tokens are). A link only points at
 * its service's request: whether it still works (not expired, not done) is the request's to say.
 */
export class ServiceSecretLinks {
  constructor(private readonly table: EntityTable<ServiceSecretLink>) {}

  async issue(link: ServiceSecretLink): Promise<string> {
    for (;;) {
      const token = newInvitationToken();
      try {
        await this.table.insert({ partitionKey: hashInvitationToken(token), rowKey: linkRow, ...link });
        return token;
      } catch (error) {
        if (!(error instanceof EntityExistsError)) throw error;
      }
    }
  }

  async find(token: string): Promise<ServiceSecretLink | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const stored = await this.table.get(hashInvitationToken(token), linkRow);
    return stored && { tenantId: stored.entity.tenantId, serviceId: stored.entity.serviceId };
  }
}
