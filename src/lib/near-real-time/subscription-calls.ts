import { createHash, randomBytes } from 'node:crypto';
import { type GraphClient, GraphError } from '../graph/graph-client.js';
import type { EntityTable } from '../storage/entity-table.js';
import { isNotFound } from '../storage/storage-errors.js';
import { NearRealTimePermissionMissing } from './near-real-time-errors.js';
import type { GraphSubscriptionRecord, TenantSubscription } from './near-real-time-row.js';

/** The resources subscribed to, and the application permission each needs (Graph's subscription page). */
export const subscribedResources = [
  { resource: '/users', permission: 'User.Read.All' },
  { resource: '/groups', permission: 'Group.Read.All' },
] as const;

/** A subscription lives at most 41,760 minutes; the connector asks for a day less and renews well before. */
const subscriptionLifetimeMs = (41_760 - 24 * 60) * 60_000;
/** The index's one row per subscription. */
export const subscriptionRecordRow = 'subscription';

/** What the index keeps of a client state: the state itself is only in Graph's hands and in its notifications. */
export const clientStateHash = (clientState: string) =>
  createHash('sha256').update(clientState).digest('hex');

export interface SubscriptionCallsDeps {
  index: EntityTable<GraphSubscriptionRecord>;
  graph: GraphClient;
  /** Where Graph sends notifications (and lifecycle events). */
  notificationUrl: string;
}

/**
 * The Graph calls of a tenant's subscriptions, each with its record in the index (`GraphSubscriptions`, by
 * subscription id: the tenant, and only the SHA-256 of the random client state Graph echoes in notifications).
 */
export class SubscriptionCalls {
  constructor(private readonly deps: SubscriptionCallsDeps) {}

  /**
   * A subscription to `resource` made at Graph (which makes its handshake with the connector meanwhile) and
   * indexed. First deletes the app's subscriptions to `resource` at this connector's URL that are not `kept`: made
   * by an attempt that died before the tenant's row listed them.
   */
  async subscribe(
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

  /** A later expiry for `subscription`, or, when Graph no longer has it (404), a new subscription instead. */
  async renew(
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

  /** Deletes the app's subscriptions to `resource` at this connector's URL that are not `kept`. */
  async dropStrays(token: string, resource: string, kept: readonly TenantSubscription[]): Promise<void> {
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

  /**
   * Deletes subscriptions at Graph (a 404 is one gone already; without a token, Graph's copies end on their own
   * and their notifications are dropped as unknown) and from the index.
   */
  async unsubscribe(token: string | undefined, subscriptions: readonly { id: string }[]): Promise<void> {
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
