import { randomBytes, randomUUID } from 'node:crypto';
import { json, type SimResponse } from '../http-kit.js';
import type { ChangeEntry } from '../tenant/change-log.js';
import type { TenantState } from '../tenant/tenant-state.js';
import type { Caller } from './caller.js';
import type { GraphConfig } from './graph-config.js';
import { badRequest, forbidden, graphError } from './graph-error.js';
import { type GraphContext, type GraphRoute, graphRoute, readBody } from './graph-route.js';

/** The longest a user or group subscription may live: 41,760 minutes (under 29 days). */
export const maxSubscriptionMinutes = 41_760;
/** Subscriptions one app may hold in a tenant, and a tenant may hold in all. */
export const quotas = { perAppPerTenant: 100, perTenant: 1_000 };
/** Graph waits this long for a notification's answer, and counts a slower one as failed. */
const answerTimeoutMs = 3_000;
/** …and this long for the validation handshake's. */
const validationTimeoutMs = 10_000;

type SubscribedKind = 'users' | 'groups';

/** What each resource's subscription needs (application permissions, any one), as the subscription page lists. */
const readPermissions: Record<SubscribedKind, string[]> = {
  users: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  groups: ['Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
};

export interface SimSubscription {
  id: string;
  tenantId: string;
  appId: string;
  resource: string;
  kind: SubscribedKind;
  changeTypes: string[];
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  clientState?: string;
  expirationDateTime: Date;
}

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

/** One delivery the simulator made (or tried): for tests to see what Graph sent and how it was answered. */
export interface Delivery {
  url: string;
  body: { value: Record<string, unknown>[] };
  status: number;
  attempt: number;
  /** How long the answer took (or until Graph gave up on it at 3 s). */
  ms: number;
}

interface NewSubscription {
  changeType?: string;
  notificationUrl?: string;
  lifecycleNotificationUrl?: string;
  resource?: string;
  expirationDateTime?: string;
  clientState?: string;
}

const render = (subscription: SimSubscription) => ({
  id: subscription.id,
  resource: subscription.resource,
  applicationId: subscription.appId,
  changeType: subscription.changeTypes.join(','),
  clientState: null,
  notificationUrl: subscription.notificationUrl,
  lifecycleNotificationUrl: subscription.lifecycleNotificationUrl ?? null,
  expirationDateTime: subscription.expirationDateTime.toISOString(),
});

/**
 * Change notifications as Graph's pages describe them, for users and groups: `POST /subscriptions` validates the
 * notification URL (and the lifecycle URL) by the handshake before it answers, checks the expiry, the client
 * state, the permission and the quotas; changes in the tenant are sent to the notification URL in batches (basic
 * notifications: ids only), retried while the answer is not 2xx within 3 s; lifecycle events go to the lifecycle
 * URL. A subscription past its expiry is gone. Retries are spaced in seconds, not over Microsoft's 4 hours.
 */
export class GraphSubscriptions {
  readonly byId = new Map<string, SimSubscription>();
  /** Every delivery made, oldest first (handshakes are not deliveries). */
  readonly deliveries: Delivery[] = [];
  private readonly watched = new WeakSet<TenantState>();
  private readonly batches = new Map<string, Record<string, unknown>[]>();

  constructor(private readonly config: GraphConfig) {}

  routes(): GraphRoute[] {
    const anyRead = {
      application: [...new Set(Object.values(readPermissions).flat())],
      delegated: [],
    };
    return [
      graphRoute('POST', '/subscriptions', anyRead, (context) => this.create(context)),
      graphRoute('GET', '/subscriptions', anyRead, ({ caller }) =>
        json(200, { value: this.of(caller).map(render) }),
      ),
      graphRoute('GET', '/subscriptions/:id', anyRead, ({ request, caller }) => {
        const found = this.own(caller, request.params.id ?? '');
        return 'status' in found ? found : json(200, render(found));
      }),
      graphRoute('PATCH', '/subscriptions/:id', anyRead, ({ request, caller }) => {
        const found = this.own(caller, request.params.id ?? '');
        if ('status' in found) return found;
        const body = readBody<{ expirationDateTime?: string }>(request);
        const expiry = this.expiry(body?.expirationDateTime);
        if (!(expiry instanceof Date)) return expiry;
        found.expirationDateTime = expiry;
        return json(200, render(found));
      }),
      graphRoute('DELETE', '/subscriptions/:id', anyRead, ({ request, caller }) => {
        const found = this.own(caller, request.params.id ?? '');
        if ('status' in found) return found;
        this.byId.delete(found.id);
        return { status: 204 };
      }),
    ];
  }

  /** Sends a lifecycle event of `subscriptionId` to its lifecycle URL (the control API plays Entra's side). */
  async lifecycle(subscriptionId: string, event: LifecycleEvent): Promise<number> {
    const subscription = this.byId.get(subscriptionId);
    if (!subscription?.lifecycleNotificationUrl)
      throw new Error(`No subscription ${subscriptionId} with a lifecycle URL.`);
    if (event === 'subscriptionRemoved') this.byId.delete(subscriptionId);
    return this.deliver(subscription.lifecycleNotificationUrl, [
      {
        subscriptionId,
        subscriptionExpirationDateTime: subscription.expirationDateTime.toISOString(),
        tenantId: subscription.tenantId,
        clientState: subscription.clientState ?? null,
        lifecycleEvent: event,
      },
    ]);
  }

  private async create({ request, caller, tenant }: GraphContext): Promise<SimResponse> {
    if (caller.kind !== 'app') return forbidden();
    const body = readBody<NewSubscription>(request);
    if (!body) return badRequest('The request body is not valid JSON.');
    const kind = /^\/?(users|groups)$/i.exec(body.resource ?? '')?.[1]?.toLowerCase() as
      | SubscribedKind
      | undefined;
    if (!kind) return badRequest(`Resource '${body.resource ?? ''}' is not supported.`);
    if (!readPermissions[kind].some((permission) => caller.permissions.has(permission))) return forbidden();
    const changeTypes = (body.changeType ?? '').split(',').map((type) => type.trim());
    if (!changeTypes.length || changeTypes.some((type) => !['created', 'updated', 'deleted'].includes(type)))
      return badRequest(`ChangeType '${body.changeType ?? ''}' is not valid.`);
    if (!/^https:\/\//i.test(body.notificationUrl ?? '') && !this.config.subscriptionHttpUrls)
      return badRequest('The notification URL must be an https URL.');
    if ((body.clientState ?? '').length > 128)
      return badRequest('ClientState exceeds the maximum length of 128 characters.');
    const expiry = this.expiry(body.expirationDateTime);
    if (!(expiry instanceof Date)) return expiry;
    const mine = this.of(caller).length;
    const all = [...this.byId.values()].filter((subscription) => subscription.tenantId === tenant.id).length;
    if (mine >= quotas.perAppPerTenant || all >= quotas.perTenant)
      return graphError(
        403,
        'ExtensionError',
        'Operation: Create; Exception: [Status Code: Forbidden; Reason: The subscription quota is reached.]',
      );
    for (const url of [body.notificationUrl, body.lifecycleNotificationUrl]) {
      if (!url) continue;
      const refusal = await validate(url);
      if (refusal) return badRequest(refusal);
    }
    const subscription: SimSubscription = {
      id: randomUUID(),
      tenantId: tenant.id,
      appId: caller.appId,
      resource: body.resource as string,
      kind,
      changeTypes,
      notificationUrl: body.notificationUrl as string,
      ...(body.lifecycleNotificationUrl ? { lifecycleNotificationUrl: body.lifecycleNotificationUrl } : {}),
      ...(body.clientState ? { clientState: body.clientState } : {}),
      expirationDateTime: expiry,
    };
    this.byId.set(subscription.id, subscription);
    this.watch(tenant);
    return json(201, render(subscription));
  }

  private expiry(value: string | undefined): Date | SimResponse {
    const at = value ? new Date(value) : undefined;
    if (!at || Number.isNaN(at.getTime()))
      return badRequest('expirationDateTime is required and must be a date.');
    if (at.getTime() <= Date.now()) return badRequest('Subscription expiration must be in the future.');
    if (at.getTime() > Date.now() + maxSubscriptionMinutes * 60_000)
      return badRequest(
        `Subscription expiration can only be ${maxSubscriptionMinutes} minutes in the future.`,
      );
    return at;
  }

  /** The caller's live subscriptions in its tenant. */
  private of(caller: Caller): SimSubscription[] {
    return [...this.byId.values()].filter(
      (subscription) =>
        subscription.tenantId === caller.tenant.id &&
        subscription.appId === caller.appId &&
        this.live(subscription),
    );
  }

  private own(caller: Caller, id: string): SimSubscription | SimResponse {
    const found = this.of(caller).find((subscription) => subscription.id === id);
    return found ?? graphError(404, 'ResourceNotFound', `The object was not found.`);
  }

  private live(subscription: SimSubscription): boolean {
    if (subscription.expirationDateTime.getTime() > Date.now()) return true;
    this.byId.delete(subscription.id);
    return false;
  }

  /** Listens to the tenant's users and groups (a membership change is its group's update). */
  private watch(tenant: TenantState): void {
    if (this.watched.has(tenant)) return;
    this.watched.add(tenant);
    tenant.userLog.listeners.add((entry) => this.changed(tenant, 'users', entry));
    tenant.groupLog.listeners.add((entry) => this.changed(tenant, 'groups', entry));
    tenant.membershipLog.listeners.add((entry) => this.changed(tenant, 'groups', entry));
  }

  private changed(tenant: TenantState, kind: SubscribedKind, entry: ChangeEntry): void {
    const exists = kind === 'users' ? tenant.users.has(entry.id) : tenant.groups.has(entry.id);
    const changeType = exists ? 'updated' : 'deleted';
    const type = kind === 'users' ? 'User' : 'Group';
    const path = `${type}s/${entry.id}`;
    for (const subscription of this.byId.values()) {
      if (subscription.tenantId !== tenant.id || subscription.kind !== kind) continue;
      if (!this.live(subscription) || !subscription.changeTypes.includes(changeType)) continue;
      const batch = this.batches.get(subscription.notificationUrl) ?? [];
      if (batch.length === 0)
        setTimeout(() => void this.flush(subscription.notificationUrl), this.config.notificationBatchMs);
      batch.push({
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: subscription.expirationDateTime.toISOString(),
        changeType,
        resource: path,
        resourceData: { '@odata.type': `#Microsoft.Graph.${type}`, '@odata.id': path, id: entry.id },
        clientState: subscription.clientState ?? null,
        tenantId: tenant.id,
      });
      this.batches.set(subscription.notificationUrl, batch);
    }
  }

  private async flush(url: string): Promise<void> {
    const batch = this.batches.get(url) ?? [];
    this.batches.delete(url);
    if (batch.length) await this.deliver(url, batch);
  }

  /** Posts `value` to `url` until it answers 2xx within 3 s, `notificationAttempts` times at most; the last status. */
  private async deliver(url: string, value: Record<string, unknown>[]): Promise<number> {
    const body = { value };
    let status = 0;
    for (let attempt = 1; attempt <= this.config.notificationAttempts; attempt += 1) {
      const started = Date.now();
      status = await post(url, JSON.stringify(body), 'application/json', answerTimeoutMs)
        .then(async (answer) => {
          await answer.body?.cancel();
          return answer.status;
        })
        .catch(() => 0);
      this.deliveries.push({ url, body, status, attempt, ms: Date.now() - started });
      if (status >= 200 && status < 300) return status;
      await new Promise((resolve) =>
        setTimeout(resolve, this.config.notificationRetryMs * 2 ** (attempt - 1)),
      );
    }
    return status;
  }
}

/** The handshake: the URL must echo the token, as text/plain, with 200, within 10 s; else why not. */
async function validate(url: string): Promise<string | undefined> {
  const token = randomBytes(24).toString('base64url');
  const target = `${url}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`;
  try {
    const answer = await post(target, '', 'text/plain', validationTimeoutMs);
    const text = await answer.text();
    if (answer.status !== 200)
      return 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.';
    if (!(answer.headers.get('content-type') ?? '').startsWith('text/plain') || text !== token)
      return 'Subscription validation request failed. Response must exactly match validationToken query parameter.';
    return undefined;
  } catch {
    return 'Subscription validation request timed out.';
  }
}

function post(url: string, body: string, contentType: string, timeoutMs: number): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
}
