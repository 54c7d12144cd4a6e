import { createHash, randomBytes } from 'node:crypto';
import { type GraphClient, GraphError } from '../graph/graph-client.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem } from '../identity/credential-problem.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import type { EntityTable } from '../storage/entity-table.js';
import { PartitionLease } from '../storage/partition-lease.js';
import { ConcurrencyError, EntityExistsError, isNotFound } from '../storage/storage-errors.js';
import { tableFilter } from '../storage/table-filters.js';
import { reconnectFirst, usableTenant, workingCredential } from '../tenants/tenant-access.js';
import { reconnectFix, TenantNotReady } from '../tenants/tenant-errors.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import { servicesOf } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { NearRealTimeBusy, NearRealTimePermissionMissing } from './near-real-time-errors.js';
import type { GraphSubscriptionRecord, TenantSubscription } from './near-real-time-row.js';
import type { NearRealTimeView } from './near-real-time-view.js';

/** The resources subscribed to, and the application permission each needs (Graph's subscription page). */
export const subscribedResources = [
  { resource: '/users', permission: 'User.Read.All' },
  { resource: '/groups', permission: 'Group.Read.All' },
] as const;

/** A subscription lives at most 41,760 minutes; the connector asks for a day less and renews well before. */
const subscriptionLifetimeMs = (41_760 - 24 * 60) * 60_000;
/** The sweep renews a subscription with less than this left (it runs every 15 minutes). */
export const renewBeforeMs = 7 * 86_400_000;
/** The index's one row per subscription. */
export const subscriptionRecordRow = 'subscription';
const attempts = 8;
/** The term of the lease one change of a tenant's subscriptions holds (renewed while it works). */
const leaseTtlMs = 20_000;

/** What the index keeps of a client state: the state itself is only in Graph's hands and in its notifications. */
export const clientStateHash = (clientState: string) =>
  createHash('sha256').update(clientState).digest('hex');

export interface TenantSubscriptionsDeps {
  registry: Pick<TenantRegistry, 'get'>;
  tenants: TenantTable;
  index: EntityTable<GraphSubscriptionRecord>;
  secrets: Pick<TenantSecretStore, 'get'>;
  tokens: AppTokenProvider;
  graph: GraphClient;
  /** Where Graph sends notifications (and lifecycle events). */
  notificationUrl: string;
}

/**
 * A tenant's Graph subscriptions to its users and groups, made with its own app: turned on (after the handshake
 * Graph makes with the connector) and off, renewed before they end or made anew when Graph lost one, deleted at
 * offboarding. Each has a random client state of its own, of which only the SHA-256 is kept (the index).
 */
export class TenantSubscriptions {
  constructor(private readonly deps: TenantSubscriptionsDeps) {}

  /** Its subscriptions, with what Graph notified (NotifiedChanges's row, read only). */
  async view(tenantId: string): Promise<NearRealTimeView> {
    const row = (await this.deps.tenants.get(tenantId, tenantRows.nearRealTime))?.entity;
    const notified = (await this.deps.tenants.get(tenantId, tenantRows.notifiedChanges))?.entity;
    return {
      enabled: row !== undefined,
      subscriptions: row ? (JSON.parse(row.subscriptions) as TenantSubscription[]) : [],
      ...(notified?.pendingSince ? { pendingSince: notified.pendingSince } : {}),
      notifications: notified?.notifications ?? 0,
      runsStarted: notified?.runsStarted ?? 0,
    };
  }

  /** Subscribes to the tenant's users and groups with its own app (once: on again, it is as it was). */
  async enable(tenantId: string, now = new Date()): Promise<NearRealTimeView> {
    return this.exclusive(tenantId, () => this.subscribeTenant(tenantId, now));
  }

  private async subscribeTenant(tenantId: string, now: Date): Promise<NearRealTimeView> {
    const tenant = await usableTenant(this.deps.registry, tenantId);
    if (await this.deps.tenants.get(tenantId, tenantRows.nearRealTime)) return this.view(tenantId);
    const credential = await workingCredential(this.deps.secrets, tenantId, tenant.entity);
    const token = await this.deps.tokens.token(credential).catch((error: unknown) => {
      if (error instanceof CredentialProblem) throw new TenantNotReady(reconnectFirst.invalid, reconnectFix);
      throw error;
    });
    const made: TenantSubscription[] = [];
    try {
      for (const { resource } of subscribedResources)
        made.push(await this.subscribe(token.accessToken, tenantId, resource, [], now));
    } catch (error) {
      await this.unsubscribe(token.accessToken, made);
      throw error;
    }
    try {
      await this.deps.tenants.insert({
        partitionKey: tenantId,
        rowKey: tenantRows.nearRealTime,
        subscriptions: JSON.stringify(made),
        enabledAt: now.toISOString(),
      });
    } catch (error) {
      // Turned on at once by another request: its subscriptions stand, these go.
      await this.unsubscribe(token.accessToken, made);
      if (!(error instanceof EntityExistsError)) throw error;
    }
    return this.view(tenantId);
  }

  /**
   * Renews the tenant's subscriptions that end within `renewBeforeMs` (all of them when `force`d: a
   * `reauthorizationRequired`), and makes anew one Graph no longer has (404). How many it renewed or made.
   */
  async renew(tenantId: string, options: { force?: boolean } = {}, now = new Date()): Promise<number> {
    return this.exclusive(tenantId, () => this.renewTenant(tenantId, options, now));
  }

  private async renewTenant(tenantId: string, options: { force?: boolean }, now: Date): Promise<number> {
    for (let attempt = 1; ; attempt += 1) {
      const stored = await this.deps.tenants.get(tenantId, tenantRows.nearRealTime);
      if (!stored) return 0;
      const subscriptions = JSON.parse(stored.entity.subscriptions) as TenantSubscription[];
      const due = subscriptions.filter(
        (subscription) => options.force || Date.parse(subscription.expiresAt) - now.getTime() < renewBeforeMs,
      );
      if (due.length === 0) return 0;
      const token = await this.tokenOf(tenantId);
      if (!token) return 0;
      const renewed = await Promise.all(
        subscriptions.map((subscription) =>
          due.includes(subscription)
            ? this.renewOne(token, tenantId, subscription, subscriptions, now)
            : subscription,
        ),
      );
      try {
        await this.deps.tenants.update(
          { ...stored.entity, subscriptions: JSON.stringify(renewed) },
          stored.etag,
        );
        return due.length;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= attempts) throw error;
      }
    }
  }

  /** Every tenant with near-real-time on (the sweep): its subscriptions renewed when they end soon. */
  async renewAll(now = new Date()): Promise<{ tenants: number; renewed: number; failed: string[] }> {
    let tenants = 0;
    let renewed = 0;
    const failed: string[] = [];
    for await (const { entity } of this.deps.tenants.query(tableFilter.rowKey(tenantRows.nearRealTime), [
      'PartitionKey',
    ])) {
      tenants += 1;
      // One tenant's fault (Graph down for it, a permission taken away) does not hold up the others.
      renewed += await this.renew(entity.partitionKey, {}, now).catch(() => {
        failed.push(entity.partitionKey);
        return 0;
      });
    }
    return { tenants, renewed, failed };
  }

  /** Deletes the tenant's subscriptions (at Graph where its credentials still work) and its state. */
  async disable(tenantId: string): Promise<NearRealTimeView> {
    return this.exclusive(tenantId, () => this.unsubscribeTenant(tenantId));
  }

  private async unsubscribeTenant(tenantId: string): Promise<NearRealTimeView> {
    const stored = await this.deps.tenants.get(tenantId, tenantRows.nearRealTime);
    if (!stored) return this.view(tenantId);
    const subscriptions = JSON.parse(stored.entity.subscriptions) as TenantSubscription[];
    await this.unsubscribe(await this.tokenOf(tenantId), subscriptions);
    // Whatever a notification wrote meanwhile: the subscriptions are gone, so is their state.
    await this.deps.tenants.delete(tenantId, tenantRows.nearRealTime, '*').catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    return this.view(tenantId);
  }

  /** A subscription to `resource` made at Graph (the handshake answered meanwhile) and in the index. */
  private async subscribe(
    token: string,
    tenantId: string,
    resource: TenantSubscription['resource'],
    kept: readonly TenantSubscription[],
    now: Date,
  ): Promise<TenantSubscription> {
    await this.dropStrays(token, resource, kept);
    const clientState = randomBytes(32).toString('base64url');
    let created: { id: string; expirationDateTime: string };
    try {
      created = await this.deps.graph.post(token, '/subscriptions', {
        changeType: 'created,updated,deleted',
        notificationUrl: this.deps.notificationUrl,
        lifecycleNotificationUrl: this.deps.notificationUrl,
        resource,
        expirationDateTime: new Date(now.getTime() + subscriptionLifetimeMs).toISOString(),
        clientState,
      });
    } catch (error) {
      const permission = subscribedResources.find((candidate) => candidate.resource === resource)?.permission;
      if (error instanceof GraphError && error.status === 403 && permission)
        throw new NearRealTimePermissionMissing(permission);
      throw error;
    }
    await this.deps.index.insert({
      partitionKey: created.id,
      rowKey: subscriptionRecordRow,
      tenantId,
      resource,
      clientStateHash: clientStateHash(clientState),
      expiresAt: created.expirationDateTime,
    });
    return { id: created.id, resource, expiresAt: created.expirationDateTime };
  }

  /**
   * Deletes the app's subscriptions to `resource` at this connector's URL that the tenant's row does not list
   * (`kept`): made by an attempt that died before its end, whether or not it had indexed them. The lease keeps a
   * live attempt from being taken for a dead one.
   */
  private async dropStrays(
    token: string,
    resource: string,
    kept: readonly TenantSubscription[],
  ): Promise<void> {
    const { value } = await this.deps.graph.get<{
      value: { id: string; resource: string; notificationUrl: string }[];
    }>(token, '/subscriptions');
    const strays = value.filter(
      (subscription) =>
        subscription.resource === resource &&
        subscription.notificationUrl === this.deps.notificationUrl &&
        !kept.some((listed) => listed.id === subscription.id),
    );
    await this.unsubscribe(token, strays);
  }

  /** Runs `work` holding the tenant's near-real-time lease; NearRealTimeBusy while another holds it. */
  private async exclusive<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    const lease = new PartitionLease(this.deps.tenants, tenantId, tenantRows.nearRealTimeLease, leaseTtlMs);
    if (!(await lease.acquire())) throw new NearRealTimeBusy();
    lease.keepRenewed();
    try {
      return await work();
    } finally {
      await lease.release();
    }
  }

  /** A later expiry for `subscription`, or, when Graph no longer has it, a new subscription instead. */
  private async renewOne(
    token: string,
    tenantId: string,
    subscription: TenantSubscription,
    kept: readonly TenantSubscription[],
    now: Date,
  ): Promise<TenantSubscription> {
    try {
      const renewed = await this.deps.graph.request<{ expirationDateTime: string }>(
        token,
        'PATCH',
        `/subscriptions/${subscription.id}`,
        { expirationDateTime: new Date(now.getTime() + subscriptionLifetimeMs).toISOString() },
      );
      const stored = await this.deps.index.get(subscription.id, subscriptionRecordRow);
      if (stored)
        await this.deps.index.update(
          { ...stored.entity, expiresAt: renewed.body.expirationDateTime },
          stored.etag,
        );
      return { ...subscription, expiresAt: renewed.body.expirationDateTime };
    } catch (error) {
      if (!(error instanceof GraphError && error.status === 404)) throw error;
      await this.unsubscribe(undefined, [subscription]);
      return this.subscribe(
        token,
        tenantId,
        subscription.resource,
        kept.filter((other) => other.id !== subscription.id),
        now,
      );
    }
  }

  /** The tenant's app token, or undefined when its credentials do not work (the daily check says so). */
  private async tokenOf(tenantId: string): Promise<string | undefined> {
    const tenant = await this.deps.registry.get(tenantId);
    const serviceId = tenant && servicesOf(tenant.entity)[0]?.id;
    const credential = serviceId ? await this.deps.secrets.get(tenantId, serviceId) : undefined;
    if (!credential) return undefined;
    return (await this.deps.tokens.token(credential).catch(() => undefined))?.accessToken;
  }

  /** Deletes subscriptions at Graph (a 404 is one gone already) and from the index. */
  private async unsubscribe(
    token: string | undefined,
    subscriptions: readonly { id: string }[],
  ): Promise<void> {
    for (const subscription of subscriptions) {
      if (token)
        await this.deps.graph
          .request(token, 'DELETE', `/subscriptions/${subscription.id}`)
          .catch((error: unknown) => {
            if (!(error instanceof GraphError && error.status === 404)) throw error;
          });
      await this.deps.index.delete(subscription.id, subscriptionRecordRow, '*').catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
  }
}
