import { randomUUID } from 'node:crypto';
import { constantTimeEqual } from '../security/constant-time-equal.js';
import { hashLinkToken, newLinkToken } from '../security/link-token.js';
import type { EntityTable } from '../storage/entity-table.js';
import { tableFilter } from '../storage/table-filters.js';
import { InvitationCompleted, InvitationNotFound } from './invitation-errors.js';
import type { CreateInvitation, InvitationStatus, InvitationView, Reconnect } from './invitation-schema.js';

/** An invitation as stored: options as JSON, the token only as its hash. */
export interface InvitationRecord {
  tokenHash: string;
  customer: string;
  services: string;
  licenceType: string;
  automaticDns: boolean;
  /** Near-real-time replication is turned on once the tenant is onboarded (Group.Read.All asked for). */
  nearRealTime?: boolean;
  /** The core writes numbers and policies back (their permissions asked for). */
  writeBack?: boolean;
  /** JSON of the initial site (automatic DNS). */
  site?: string;
  method: string;
  /** `certificate`: the app gets a Key Vault certificate per service instead of a client secret. */
  credential?: string;
  expectedTenant?: string;
  /** Bound to the onboarded tenant `expectedTenant`: completing it replaces that tenant's stored credentials. */
  reconnect?: boolean;
  createdAt: string;
  expiresAt: string;
  completedAt?: string;
  revokedAt?: string;
  tenantId?: string;
}

export interface InvitationTokenIndex {
  invitationId: string;
}

export const invitationRowKey = 'invitation';

/** The link the customer admin opens; the landing page lives at this route. */
export const invitationPath = (token: string) => `/api/onboarding/${token}`;

export function statusOf(record: InvitationRecord, now: Date): InvitationStatus {
  if (record.completedAt) return 'completed';
  if (record.revokedAt) return 'revoked';
  return Date.parse(record.expiresAt) <= now.getTime() ? 'expired' : 'pending';
}

export function toView(id: string, record: InvitationRecord, now: Date): InvitationView {
  return {
    id,
    purpose: record.reconnect ? 'reconnect' : 'onboard',
    status: statusOf(record, now),
    customer: JSON.parse(record.customer),
    services: JSON.parse(record.services),
    licenceType: record.licenceType as InvitationView['licenceType'],
    automaticDns: record.automaticDns,
    nearRealTime: record.nearRealTime ?? false,
    writeBack: record.writeBack ?? false,
    ...(record.site ? { site: JSON.parse(record.site) } : {}),
    method: record.method as InvitationView['method'],
    credential: (record.credential ?? 'secret') as InvitationView['credential'],
    ...(record.expectedTenant ? { expectedTenant: record.expectedTenant } : {}),
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    ...(record.completedAt ? { completedAt: record.completedAt } : {}),
    ...(record.revokedAt ? { revokedAt: record.revokedAt } : {}),
    ...(record.tenantId ? { tenantId: record.tenantId } : {}),
  };
}

/** Invitations: created and revoked by the core, completed once by onboarding; they expire. */
export class InvitationService {
  constructor(
    private readonly invitations: EntityTable<InvitationRecord>,
    private readonly tokens: EntityTable<InvitationTokenIndex>,
    private readonly publicBaseUrl: string,
    private readonly lifetimeDays: number,
  ) {}

  async create(input: CreateInvitation, now = new Date()): Promise<InvitationView & { url: string }> {
    return this.store(
      {
        customer: JSON.stringify(input.customer),
        services: JSON.stringify(input.services),
        licenceType: input.licenceType,
        automaticDns: input.automaticDns,
        ...(input.nearRealTime ? { nearRealTime: true } : {}),
        ...(input.writeBack ? { writeBack: true } : {}),
        ...(input.site ? { site: JSON.stringify(input.site) } : {}),
        method: input.method,
        ...(input.credential === 'certificate' ? { credential: input.credential } : {}),
        ...(input.expectedTenant ? { expectedTenant: input.expectedTenant } : {}),
      },
      now,
    );
  }

  /**
   * An invitation to reconnect an onboarded tenant: bound to it (the admin must sign in to, or register the app
   * in, that tenant), with its customer, services and options.
   */
  async createReconnect(
    tenant: {
      tenantId: string;
      customer: string;
      services: string;
      licenceType: string;
      automaticDns: boolean;
      writeBack?: boolean;
      /** What its services hold now: signing in again gives them the same kind. */
      credential?: 'secret' | 'certificate';
    },
    input: Reconnect,
    now = new Date(),
  ): Promise<InvitationView & { url: string }> {
    return this.store(
      {
        customer: tenant.customer,
        services: tenant.services,
        licenceType: tenant.licenceType,
        automaticDns: tenant.automaticDns,
        ...(tenant.writeBack ? { writeBack: true } : {}),
        method: input.method,
        ...(tenant.credential === 'certificate' ? { credential: 'certificate' } : {}),
        expectedTenant: tenant.tenantId,
        reconnect: true,
      },
      now,
    );
  }

  private async store(
    options: Omit<InvitationRecord, 'tokenHash' | 'createdAt' | 'expiresAt'>,
    now: Date,
  ): Promise<InvitationView & { url: string }> {
    const id = randomUUID();
    const token = newLinkToken();
    const tokenHash = hashLinkToken(token);
    const record: InvitationRecord = {
      tokenHash,
      ...options,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.lifetimeDays * 86_400_000).toISOString(),
    };
    // The index first: a crash in between leaves an index row that leads nowhere, never a token without one.
    await this.tokens.insert({ partitionKey: tokenHash.slice(0, 2), rowKey: tokenHash, invitationId: id });
    await this.invitations.insert({ partitionKey: id, rowKey: invitationRowKey, ...record });
    return { ...toView(id, record, now), url: `${this.publicBaseUrl}${invitationPath(token)}` };
  }

  async get(id: string, now = new Date()): Promise<InvitationView> {
    const stored = await this.invitations.get(id, invitationRowKey);
    if (!stored) throw new InvitationNotFound(id);
    return toView(id, stored.entity, now);
  }

  /** Newest first. */
  async list(
    filter: { status?: InvitationStatus; top: number },
    now = new Date(),
  ): Promise<InvitationView[]> {
    const views: InvitationView[] = [];
    for await (const { entity } of this.invitations.query(tableFilter.rowKey(invitationRowKey))) {
      const view = toView(entity.partitionKey, entity, now);
      if (!filter.status || view.status === filter.status) views.push(view);
    }
    return views.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, filter.top);
  }

  /** Revokes a pending or expired invitation; revoking twice is harmless; a completed one cannot be. */
  async revoke(id: string, now = new Date()): Promise<InvitationView> {
    const stored = await this.invitations.get(id, invitationRowKey);
    if (!stored) throw new InvitationNotFound(id);
    const status = statusOf(stored.entity, now);
    if (status === 'completed') {
      throw new InvitationCompleted('Offboard the tenant instead.');
    }
    if (status === 'revoked') return toView(id, stored.entity, now);
    const revoked = { ...stored.entity, revokedAt: now.toISOString() };
    await this.invitations.update(revoked, stored.etag);
    return toView(id, revoked, now);
  }

  /** Revokes every open invitation bound to a tenant (its reconnect links): the tenant is going. How many. */
  async revokeOpenFor(tenantId: string, now = new Date()): Promise<number> {
    let revoked = 0;
    for await (const { entity } of this.invitations.query(
      tableFilter.and(
        tableFilter.rowKey(invitationRowKey),
        tableFilter.property('expectedTenant', 'eq', tenantId),
      ),
    )) {
      const status = statusOf(entity, now);
      if (status !== 'pending' && status !== 'expired') continue;
      await this.revoke(entity.partitionKey, now);
      revoked += 1;
    }
    return revoked;
  }

  /** Marks the invitation used by a tenant, once; again for the same tenant is harmless. */
  async complete(id: string, tenantId: string, now = new Date()): Promise<void> {
    const stored = await this.invitations.get(id, invitationRowKey);
    if (!stored) throw new InvitationNotFound(id);
    if (stored.entity.completedAt) {
      if (stored.entity.tenantId === tenantId) return;
      throw new InvitationCompleted('It was used by another tenant.');
    }
    await this.invitations.update(
      { ...stored.entity, completedAt: now.toISOString(), tenantId },
      stored.etag,
    );
  }

  /** The invitation a link's token opens, if any (the landing page's lookup). */
  async findByToken(
    token: string,
  ): Promise<{ id: string; record: InvitationRecord; etag: string } | undefined> {
    const tokenHash = hashLinkToken(token);
    const index = await this.tokens.get(tokenHash.slice(0, 2), tokenHash);
    if (!index) return undefined;
    const stored = await this.invitations.get(index.entity.invitationId, invitationRowKey);
    if (!stored || !constantTimeEqual(stored.entity.tokenHash, tokenHash)) return undefined;
    return { id: index.entity.invitationId, record: stored.entity, etag: stored.etag };
  }
}
