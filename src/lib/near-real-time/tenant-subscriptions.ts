import type { Outbox } from '../events/outbox.js';
import type { GraphClient } from '../graph/graph-client.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem } from '../identity/credential-problem.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import type { EntityTable, Stored } from '../storage/entity-table.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { ConcurrencyError, EntityExistsError } from '../storage/storage-errors.js';
import { reconnectFirst, usableTenant } from '../tenants/tenant-access.js';
import { reconnectFix, TenantNotReady } from '../tenants/tenant-errors.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import { isLeaving, servicesOf } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { type Advance, type StepResult, tidy, WorkflowRunner } from '../workflows/workflow-runner.js';
import { NearRealTimeBusy, NearRealTimePermissionMissing } from './near-real-time-errors.js';
import type {
  GraphSubscriptionRecord,
  NearRealTimeOffReason,
  NearRealTimeRow,
  NearRealTimeState,
  TenantSubscription,
} from './near-real-time-row.js';
import type { NearRealTimeView } from './near-real-time-view.js';
import { SubscriptionCalls, subscribedResources } from './subscription-calls.js';

export interface NearRealTimeJob {
  tenantId: string;
}

/** A subscription with less than this left is renewed. */
const renewBeforeMs = 7 * 86_400_000;
/** A tenant that is on is looked at least this often: its credentials may have stopped working meanwhile. */
const checkEveryMs = 86_400_000;
/** How long a request waits for another request or worker at the same tenant before it answers what it sees. */
const pollForOtherMs = 1_000;
const maxPollsForOther = 30;
const attempts = 8;

const workingStates: ReadonlySet<string> = new Set<NearRealTimeState>(['subscribing', 'on', 'unsubscribing']);

export interface TenantSubscriptionsDeps {
  /** The term of the workflow's lease (its own default when not set). */
  leaseTtlMs?: number;
  registry: Pick<TenantRegistry, 'get'>;
  tenants: TenantTable;
  index: EntityTable<GraphSubscriptionRecord>;
  secrets: Pick<TenantSecretStore, 'get'>;
  tokens: AppTokenProvider;
  graph: GraphClient;
  queue: MessageQueue<NearRealTimeJob>;
  outbox: Outbox;
  /** Where Graph sends notifications (and lifecycle events). */
  notificationUrl: string;
  /** Starts a delta run of the tenant as a notification would (after a pause in notifications). */
  catchUp: (tenantId: string) => Promise<void>;
  sleep?: (ms: number) => Promise<void>;
}

type Access = { token: string } | { off: NearRealTimeOffReason };

/**
 * A tenant's Graph subscriptions to its users and groups, made with its own app, as a durable workflow on the
 * runner (the `near-real-time` row, the `near-real-time` queue): made one a step (after the handshake Graph makes
 * with the connector; a subscription an attempt made but did not record is deleted before the next is made),
 * renewed before they end and at Graph's `reauthorizationRequired` (then a catch-up run), made anew when Graph lost
 * one, and deleted when turned off, at offboarding, and when the tenant's credentials stop working (then only the
 * index: Graph's copies end on their own, and what they send is dropped as unknown). Each has a random client state
 * of its own, of which only the SHA-256 is kept.
 */
export class TenantSubscriptions {
  readonly runner: WorkflowRunner<NearRealTimeRow, NearRealTimeJob>;
  private readonly calls: SubscriptionCalls;

  constructor(private readonly deps: TenantSubscriptionsDeps) {
    this.calls = new SubscriptionCalls(deps);
    this.runner = new WorkflowRunner<NearRealTimeRow, NearRealTimeJob>(
      {
        name: 'near-real-time',
        keys: ({ tenantId }) => ({
          partition: tenantId,
          rowKey: tenantRows.nearRealTime,
          leaseRowKey: tenantRows.nearRealTimeLease,
        }),
        jobOf: (tenantId) => ({ tenantId }),
        rowPrefix: tenantRows.nearRealTime,
        working: (row) => workingStates.has(row.state),
        step: (row, now) => this.step(row, now),
        leaseTtlMs: deps.leaseTtlMs ?? 20_000,
        sweepAfterMs: 10 * 60_000,
      },
      deps.queue,
      { table: deps.tenants, outbox: deps.outbox },
    );
  }

  /** Its state and subscriptions, with what Graph notified (NotifiedChanges's row, read only). */
  async view(tenantId: string): Promise<NearRealTimeView> {
    const row = await this.row(tenantId);
    const notified = (await this.deps.tenants.get(tenantId, tenantRows.notifiedChanges))?.entity;
    const state = row?.entity.state ?? 'off';
    return {
      enabled: state === 'subscribing' || state === 'on',
      state,
      subscriptions: row ? (JSON.parse(row.entity.subscriptions) as TenantSubscription[]) : [],
      ...(row?.entity.offReason ? { offReason: row.entity.offReason } : {}),
      ...(row?.entity.lastError && workingStates.has(state) ? { lastError: row.entity.lastError } : {}),
      ...(state === 'on' && row?.entity.nextAttemptAt ? { nextCheckAt: row.entity.nextAttemptAt } : {}),
      ...(notified?.pendingSince ? { pendingSince: notified.pendingSince } : {}),
      notifications: notified?.notifications ?? 0,
      runsStarted: notified?.runsStarted ?? 0,
    };
  }

  /** Whether it is on or being turned on (what the validation report checks permissions for). */
  async isOn(tenantId: string): Promise<boolean> {
    const state = (await this.row(tenantId))?.entity.state;
    return state === 'subscribing' || state === 'on';
  }

  /**
   * Turns it on (on already: as it is) and takes the workflow as far as it goes now. Graph refusing for a missing
   * permission, or credentials that do not work, are refusals (nothing stays subscribed); a fault that passes
   * leaves it `subscribing`, the queue trying again.
   */
  async enable(tenantId: string, now = new Date()): Promise<NearRealTimeView> {
    await usableTenant(this.deps.registry, tenantId);
    await this.change(tenantId, (row) => {
      if (row?.state === 'unsubscribing') throw new NearRealTimeBusy();
      if (row && row.state !== 'off') return undefined;
      return {
        state: 'subscribing',
        subscriptions: '[]',
        enabledAt: now.toISOString(),
        offReason: undefined,
        missingPermissions: undefined,
        reauthorize: undefined,
        catchUp: undefined,
      };
    });
    const view = await this.takeOn(tenantId);
    if (view.state === 'off' && view.offReason === 'permission_missing') {
      const missing = JSON.parse((await this.row(tenantId))?.entity.missingPermissions ?? '[]') as string[];
      throw new NearRealTimePermissionMissing(missing[0] ?? 'Group.Read.All');
    }
    if (view.state === 'off' && view.offReason === 'credentials_invalid')
      throw new TenantNotReady(reconnectFirst.invalid, reconnectFix);
    return view;
  }

  /** Turns it off: its subscriptions deleted at Graph (as far as it goes now; the queue finishes the rest). */
  async disable(tenantId: string): Promise<NearRealTimeView> {
    await this.stop(tenantId, 'turned_off');
    return this.takeOn(tenantId);
  }

  /** At offboarding: whether its subscriptions are gone (none made, or deleted now); false while they are not yet. */
  async stopForOffboarding(tenantId: string): Promise<boolean> {
    if (!(await this.stop(tenantId, 'offboarding'))) return true;
    await this.runner.work({ tenantId }, { dueNow: true });
    return (await this.view(tenantId)).state === 'off';
  }

  /** After a reconnect: on again when it went off because the credentials had stopped working. */
  async resumeAfterReconnect(tenantId: string): Promise<boolean> {
    const row = await this.row(tenantId);
    if (row?.entity.state !== 'off' || row.entity.offReason !== 'credentials_invalid') return false;
    await this.enable(tenantId);
    return true;
  }

  /** Graph asked for reauthorization (`reauthorizationRequired`): every subscription renewed now, then a catch-up. */
  async reauthorize(tenantId: string): Promise<Advance | undefined> {
    const changed = await this.change(tenantId, (row) =>
      row?.state === 'on' || row?.state === 'subscribing'
        ? { reauthorize: true, nextAttemptAt: undefined }
        : undefined,
    );
    if (!changed) return undefined;
    return this.runner.work({ tenantId }, { dueNow: true });
  }

  /** Sets the row going off for `reason`; false when there is nothing to turn off. */
  private async stop(tenantId: string, reason: NearRealTimeOffReason): Promise<boolean> {
    return this.change(tenantId, (row) =>
      row?.state === 'subscribing' || row?.state === 'on'
        ? { state: 'unsubscribing', offReason: reason, nextAttemptAt: undefined, attempts: 0 }
        : undefined,
    );
  }

  /**
   * A request's change of the row (written without the lease: a worker at it reads it again), retried when the
   * row changed meanwhile; `changes` returns undefined for nothing to change. Whether it changed the row.
   */
  private async change(
    tenantId: string,
    changes: (row: NearRealTimeRow | undefined) => Partial<NearRealTimeRow> | undefined,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      const stored = await this.row(tenantId);
      const next = changes(stored?.entity);
      if (!next) return false;
      const entity = tidy({
        ...(stored?.entity ?? {}),
        ...next,
        partitionKey: tenantId,
        rowKey: tenantRows.nearRealTime,
        updatedAt: new Date().toISOString(),
      }) as NearRealTimeRow & { partitionKey: string; rowKey: typeof tenantRows.nearRealTime };
      try {
        if (stored) await this.deps.tenants.update(entity, stored.etag);
        else await this.deps.tenants.insert(entity);
        return true;
      } catch (error) {
        const raced = error instanceof ConcurrencyError || error instanceof EntityExistsError;
        if (!raced || attempt >= attempts) throw error;
      }
    }
  }

  /**
   * The workflow taken as far as it goes now. A request that finds another at work on the tenant (a double click,
   * or a retry after a request died) looks again until that one is done or its lease ends and this one takes over.
   */
  private async takeOn(tenantId: string): Promise<NearRealTimeView> {
    const sleep = this.deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    for (let polls = 0; ; polls += 1) {
      const result = await this.runner.work({ tenantId }, { dueNow: true });
      const view = await this.view(tenantId);
      if (result.outcome !== 'busy' || view.state === 'on' || view.state === 'off') return view;
      if (polls >= maxPollsForOther) return view;
      await sleep(pollForOtherMs);
    }
  }

  private row(tenantId: string): Promise<Stored<NearRealTimeRow> | undefined> {
    return this.deps.tenants.get(tenantId, tenantRows.nearRealTime);
  }

  /** One step of the workflow; the runner saves what it returns. */
  private async step(stored: Stored<NearRealTimeRow>, now: Date): Promise<StepResult<NearRealTimeRow>> {
    const row = stored.entity;
    const tenantId = stored.entity.partitionKey;
    const subscriptions = JSON.parse(row.subscriptions) as TenantSubscription[];
    if (row.state === 'unsubscribing') {
      const access = await this.access(tenantId, { leaving: true });
      const token = 'token' in access ? access.token : undefined;
      await this.calls.unsubscribe(token, subscriptions);
      if (token)
        for (const { resource } of subscribedResources) await this.calls.dropStrays(token, resource, []);
      return { next: { state: 'off', subscriptions: '[]', reauthorize: undefined, catchUp: undefined } };
    }
    const access = await this.access(tenantId, { leaving: false });
    if ('off' in access) return { next: { state: 'unsubscribing', offReason: access.off } };
    if (row.state === 'subscribing') {
      const missing = subscribedResources.find(
        ({ resource }) => !subscriptions.some((subscription) => subscription.resource === resource),
      );
      if (!missing) return { next: { state: 'on', nextAttemptAt: nextCheck(subscriptions, now) } };
      try {
        const made = await this.calls.subscribe(access.token, tenantId, missing.resource, subscriptions, now);
        return { next: { subscriptions: JSON.stringify([...subscriptions, made]) } };
      } catch (error) {
        if (!(error instanceof NearRealTimePermissionMissing)) throw error;
        return {
          next: {
            state: 'unsubscribing',
            offReason: 'permission_missing',
            missingPermissions: JSON.stringify(error.extensions.missingPermissions),
          },
        };
      }
    }
    if (row.catchUp) {
      // Notifications paused until the reauthorization: what changed meanwhile comes with this run.
      await this.deps.catchUp(tenantId);
      return { next: { catchUp: undefined, nextAttemptAt: nextCheck(subscriptions, now) } };
    }
    const due = subscriptions.filter(
      (subscription) => row.reauthorize || Date.parse(subscription.expiresAt) - now.getTime() < renewBeforeMs,
    );
    const renewed: TenantSubscription[] = [];
    for (const subscription of subscriptions)
      renewed.push(
        due.includes(subscription)
          ? await this.calls.renew(access.token, tenantId, subscription, subscriptions, now)
          : subscription,
      );
    return {
      next: {
        subscriptions: JSON.stringify(renewed),
        reauthorize: undefined,
        ...(row.reauthorize ? { catchUp: true } : { nextAttemptAt: nextCheck(renewed, now) }),
      },
    };
  }

  /**
   * The tenant's app token, or why near-real-time must go off: the tenant left (`offboarding`; not while turning
   * off, which still uses the credentials while they work) or its credentials do not work. A fault that passes
   * (Key Vault, Entra) is thrown, for the runner to wait out.
   */
  private async access(tenantId: string, options: { leaving: boolean }): Promise<Access> {
    const tenant = await this.deps.registry.get(tenantId);
    if (!options.leaving && (!tenant || isLeaving(tenant.entity.status))) return { off: 'offboarding' };
    if (!options.leaving && tenant?.entity.status === 'credentials_invalid')
      return { off: 'credentials_invalid' };
    const serviceId = tenant ? servicesOf(tenant.entity)[0]?.id : undefined;
    const credential = serviceId ? await this.deps.secrets.get(tenantId, serviceId) : undefined;
    if (!credential) return { off: 'credentials_invalid' };
    try {
      return { token: (await this.deps.tokens.token(credential)).accessToken };
    } catch (error) {
      if (error instanceof CredentialProblem) return { off: 'credentials_invalid' };
      throw error;
    }
  }
}

/** When a tenant that is on is looked at next: a renewal due, or the daily check, whichever comes first. */
function nextCheck(subscriptions: readonly TenantSubscription[], now: Date): string {
  const renewals = subscriptions.map((subscription) => Date.parse(subscription.expiresAt) - renewBeforeMs);
  return new Date(
    Math.max(now.getTime() + 60_000, Math.min(now.getTime() + checkEveryMs, ...renewals)),
  ).toISOString();
}
