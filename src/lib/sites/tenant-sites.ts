import type { DomainEvent } from '../events/event-catalogue.js';
import type { Outbox } from '../events/outbox.js';
import { type GraphClient, GraphError } from '../graph/graph-client.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem, credentialProblemText } from '../identity/credential-problem.js';
import { IdentityUnavailable } from '../identity/identity-unavailable.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import { VaultUnavailable } from '../secrets/vault-unavailable.js';
import type { Stored } from '../storage/entity-table.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { PartitionLease } from '../storage/partition-lease.js';
import { ConcurrencyError, EntityExistsError } from '../storage/storage-errors.js';
import { tableFilter } from '../storage/table-filters.js';
import { TenantNotFound, TenantNotReady } from '../tenants/tenant-errors.js';
import { type TenantTable, tenantRowPrefixes, tenantRows } from '../tenants/tenant-partition.js';
import { isLeaving, servicesOf, type TenantRecord } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { activationSeen } from './activation-signal.js';
import {
  SiteConflict,
  SiteDomainInvalid,
  SiteNotAwaitingDns,
  SiteNotFound,
  SitesNotConfigured,
} from './site-errors.js';
import {
  addDomain,
  ensureUser,
  type GraphUser,
  licenseForTeamsPhone,
  SiteStepLagging,
  SiteStepRefused,
  verificationTxt,
  verifyDomain,
} from './site-graph.js';
import { recordsOf, type SiteProgress, type SiteState, siteWorking } from './site-progress.js';
import type { SiteRoleCheck } from './site-roles.js';
import type { AddSite, DnsRecord, SiteView } from './site-schema.js';

/** One site to advance: a message on the `site-work` queue. */
export interface SiteJob {
  tenantId: string;
  siteId: string;
}

export interface TenantSitesDeps {
  registry: TenantRegistry;
  /** The `Tenants` table: each site's row and lease are in its tenant's partition. */
  tenants: TenantTable;
  outbox: Outbox;
  secrets: TenantSecretStore;
  tokens: AppTokenProvider;
  graph: GraphClient;
  queue: MessageQueue<SiteJob>;
  roles: SiteRoleCheck;
  /** Validates the tenant again (its report then shows the DNS roles needed now, or removable). */
  revalidate: (tenantId: string) => Promise<unknown>;
  sbcBaseDomain: string | undefined;
  sbcDnsTarget: string | undefined;
  verifyHours: number;
  activationHours: number;
}

export type SiteAddition = { outcome: 'started' | 'unchanged' | 'resumed'; view: SiteView };

type Progress = Stored<SiteProgress>;
/** What Microsoft answered earlier in this run of steps: used instead of a read a replica may not answer yet. */
type SeenInThisRun = { user?: GraphUser; freshToken?: boolean };
/** The next state; or the attempt made and the wait till the next one; or nothing due yet (another message waits). */
type Step = { next: Progress } | { waitMs: number } | { notDue: true };

/** The activation user's name on each site's sub-domain (the product's own name for it). */
const activationAlias = 'ump-activation-user';
/**
 * Entra takes at most 48 characters after a user principal name's `@` (UNCONFIRMED: Microsoft's password
 * policy page says so; Graph's reference is silent), and the activation user lives on the site's sub-domain.
 */
const maxDomainLength = 48;
/** Transient failures of `POST /domains` in a row before the site fails (Microsoft answers a protected suffix with 500). */
const addDomainAttempts = 5;
const leaseTtlMs = 30_000;
const dueSlackMs = 5_000;
const verifyRetryMs = (attempts: number) => Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
const activationRetryMs = (attempts: number) => Math.min(10_000 * 2 ** Math.max(0, attempts - 1), 1_800_000);
const transientRetryMs = (attempts: number) => Math.min(15_000 * 2 ** Math.max(0, attempts - 1), 900_000);
/**
 * Waits while Entra's replicas learn of an object the site made moments ago (about 10 minutes in all); Microsoft
 * documents the delay, not its length. Then the site fails with what the lasting answer says.
 */
const replicationWaitsMs = [2_000, 5_000, 15_000, 30_000, 60_000, 120_000, 240_000, 240_000];

/**
 * Sites with automatic DNS: each a sub-domain of the operator's SBC base domain, added to the customer's tenant,
 * verified once the core has published its TXT record, and activated through a user on it with a Teams Phone
 * licence. A durable state machine (`site|{siteId}`): each step is recorded before the next begins and each
 * Microsoft call takes what it finds done as done, so a crash or a redeploy resumes where it stopped without a
 * second domain, user or licence. A lease keeps two workers off one site.
 */
export class TenantSites {
  constructor(private readonly deps: TenantSitesDeps) {}

  /** Starts a site (or finds it started, or resumes one that failed); the work goes on through the queue. */
  async add(
    tenantId: string,
    request: AddSite,
    options: { checkRoles?: boolean } = {},
    now = new Date(),
  ): Promise<SiteAddition> {
    const base = this.deps.sbcBaseDomain;
    if (!base || !this.deps.sbcDnsTarget) throw new SitesNotConfigured();
    const tenant = await this.usableTenant(tenantId);
    const domain = `${request.label}.${base}`;
    if (domain.length > maxDomainLength)
      throw new SiteDomainInvalid(
        `${domain} is ${domain.length} characters: the activation user's name on it allows at most ${maxDomainLength}. Choose a shorter label.`,
      );
    const existing = await this.deps.tenants.get(tenantId, tenantRows.site(request.siteId));
    if (existing) return this.again(tenantId, existing, request, now);
    await this.refuseTakenDomain(tenantId, domain);
    if (options.checkRoles !== false) await this.deps.roles.assertReady(tenantId);
    const at = now.toISOString();
    const site: SiteProgress = {
      siteId: request.siteId,
      label: request.label,
      domain,
      usageLocation: request.usageLocation,
      state: 'requested',
      userPrincipalName: `${activationAlias}@${domain}`,
      attempts: 0,
      createdAt: at,
      updatedAt: at,
    };
    try {
      await this.deps.registry.changeDnsWork(
        tenantId,
        {
          pending: true,
          etag: tenant.etag,
          alongside: (transaction) =>
            transaction.insert({ rowKey: tenantRows.site(request.siteId), ...site }),
        },
        now,
      );
    } catch (error) {
      if (!(error instanceof EntityExistsError || error instanceof ConcurrencyError)) throw error;
      const raced = await this.deps.tenants.get(tenantId, tenantRows.site(request.siteId));
      if (!raced) throw error;
      return this.again(tenantId, raced, request, now);
    }
    await this.enqueue({ tenantId, siteId: site.siteId });
    await this.deps.revalidate(tenantId).catch(() => undefined);
    return { outcome: 'started', view: viewOf(tenantId, site) };
  }

  /** The same request again: the site as it is; one that failed starts again at the step it failed. */
  private async again(
    tenantId: string,
    existing: Progress,
    request: AddSite,
    now: Date,
  ): Promise<SiteAddition> {
    const site = existing.entity;
    if (site.label !== request.label || site.usageLocation !== request.usageLocation)
      throw new SiteConflict(
        `The tenant has a site ${site.siteId} already, for ${site.domain} in ${site.usageLocation}. Choose another id.`,
      );
    if (site.state !== 'failed') {
      if (siteWorking(site)) await this.enqueue({ tenantId, siteId: site.siteId });
      return { outcome: 'unchanged', view: viewOf(tenantId, site) };
    }
    await this.deps.roles.assertReady(tenantId);
    const at = now.toISOString();
    const resumed: SiteProgress = {
      ...withoutFailure(site),
      state: site.failedStep ?? 'requested',
      attempts: 0,
      // The time limits count again from now.
      ...(site.failedStep === 'awaiting_dns' ? { awaitingDnsSince: at, nextAttemptAt: at } : {}),
      ...(site.failedStep === 'activating' ? { activatingSince: at, nextAttemptAt: at } : {}),
      updatedAt: at,
    };
    await this.deps.registry.changeDnsWork(
      tenantId,
      {
        pending: true,
        alongside: (transaction) =>
          transaction.update({ rowKey: tenantRows.site(site.siteId), ...resumed }, existing.etag),
      },
      now,
    );
    await this.enqueue({ tenantId, siteId: site.siteId });
    await this.deps.revalidate(tenantId).catch(() => undefined);
    return { outcome: 'resumed', view: viewOf(tenantId, resumed) };
  }

  /** A sub-domain is one site's: another site of this tenant, or another tenant's, has it. */
  private async refuseTakenDomain(tenantId: string, domain: string): Promise<void> {
    for await (const { entity } of this.deps.tenants.query<SiteProgress>(
      tableFilter.and(
        tableFilter.rowKeysStartingWith(tenantRowPrefixes.sites),
        tableFilter.property('domain', 'eq', domain),
      ),
    )) {
      throw new SiteConflict(
        entity.partitionKey === tenantId
          ? `Site ${entity.siteId} of this tenant has ${domain} already.`
          : `${domain} is another tenant's site: a sub-domain can be verified in one tenant only. Choose another label.`,
      );
    }
  }

  async list(tenantId: string): Promise<SiteView[]> {
    await this.knownTenant(tenantId);
    const views: SiteView[] = [];
    for await (const { entity } of this.deps.tenants.queryPrefix<SiteProgress>(
      tenantId,
      tenantRowPrefixes.sites,
    ))
      views.push(viewOf(tenantId, entity));
    return views;
  }

  async view(tenantId: string, siteId: string): Promise<SiteView> {
    await this.knownTenant(tenantId);
    const stored = await this.deps.tenants.get(tenantId, tenantRows.site(siteId));
    if (!stored) throw new SiteNotFound(siteId);
    return viewOf(tenantId, stored.entity);
  }

  /** The core published the records: verification is tried now (and the site taken on as far as it goes). */
  async verifyNow(tenantId: string, siteId: string, now = new Date()): Promise<SiteView> {
    await this.usableTenant(tenantId);
    const stored = await this.deps.tenants.get(tenantId, tenantRows.site(siteId));
    if (!stored) throw new SiteNotFound(siteId);
    if (stored.entity.state !== 'awaiting_dns') throw new SiteNotAwaitingDns(siteId, stored.entity.state);
    await this.save(stored, { nextAttemptAt: now.toISOString() });
    await this.work({ tenantId, siteId: stored.entity.siteId });
    return this.view(tenantId, siteId);
  }

  enqueue(job: SiteJob, delayMs = 0): Promise<string> {
    return this.deps.queue.send(job, {
      visibilityDelaySeconds: Math.min(Math.ceil(delayMs / 1000), 3600),
    });
  }

  /**
   * Advances a site from the queue; comes back on the queue when it has to wait. Only the message that made an
   * attempt schedules the next, so nudges (a repeated request, verify, the sweep) never pile up.
   */
  async work(job: SiteJob): Promise<SiteState> {
    const step = await this.advance(job.tenantId, job.siteId);
    if (step.waitMs !== undefined) await this.enqueue(job, step.waitMs);
    return step.state;
  }

  /**
   * Sites whose next attempt a lost message would leave waiting are queued again, and each tenant's
   * `dnsWorkPending` is made to match its sites (a crash after a site ended may have left it set).
   */
  async sweep(now = new Date()): Promise<{ queued: number }> {
    let queued = 0;
    const working = new Map<string, boolean>();
    for await (const { entity } of this.deps.tenants.query<SiteProgress>(
      tableFilter.rowKeysStartingWith(tenantRowPrefixes.sites),
    )) {
      const tenantId = entity.partitionKey;
      const active = siteWorking(entity);
      working.set(tenantId, (working.get(tenantId) ?? false) || active);
      const due = Date.parse(entity.nextAttemptAt ?? entity.updatedAt);
      if (active && due + 5 * 60_000 < now.getTime()) {
        await this.enqueue({ tenantId, siteId: entity.siteId });
        queued += 1;
      }
    }
    for (const [tenantId, pending] of working) await this.settleDnsWork(tenantId, pending);
    return { queued };
  }

  /** Takes the site as far as it can go now; `waitMs` when it must wait (DNS, activation, a fault). */
  async advance(tenantId: string, siteId: string): Promise<{ state: SiteState; waitMs?: number }> {
    const lease = new PartitionLease(this.deps.tenants, tenantId, tenantRows.siteLease(siteId), leaseTtlMs);
    if (!(await lease.acquire())) {
      // Back when the lease ends, in case its holder died: if it did not, the site is not due then and this
      // message ends.
      const state = (await this.deps.tenants.get(tenantId, tenantRows.site(siteId)))?.entity.state;
      return {
        state: state ?? 'requested',
        waitMs: Math.max(1_000, (lease.heldUntil?.getTime() ?? 0) - Date.now()),
      };
    }
    lease.keepRenewed();
    try {
      let progress = await this.deps.tenants.get(tenantId, tenantRows.site(siteId));
      let moved = false;
      const seen: SeenInThisRun = {};
      for (;;) {
        if (!progress || !siteWorking(progress.entity)) return { state: progress?.entity.state ?? 'failed' };
        const step = await this.guarded(tenantId, progress, new Date(), seen);
        if ('notDue' in step) {
          // Having moved the site on, this message is the one to come back when the next attempt is due.
          const due = Date.parse(progress.entity.nextAttemptAt ?? '') - Date.now();
          return moved ? { state: progress.entity.state, waitMs: due } : { state: progress.entity.state };
        }
        if ('waitMs' in step) return { state: progress.entity.state, waitMs: step.waitMs };
        progress = step.next;
        moved = true;
      }
    } finally {
      await lease.release();
    }
  }

  /** One step, with its failures sorted: refusals end the site, faults are tried again later. */
  private async guarded(tenantId: string, progress: Progress, now: Date, seen: SeenInThisRun): Promise<Step> {
    try {
      return await this.step(tenantId, progress, now, seen);
    } catch (error) {
      if (error instanceof SiteStepRefused && error.forbidden && !seen.freshToken) {
        // The cached token may predate the customer's grant (its roles are fixed when issued): one fresh try.
        seen.freshToken = true;
        return this.guarded(tenantId, progress, now, seen);
      }
      if (error instanceof SiteStepRefused)
        return { next: await this.fail(tenantId, progress, error.reason, now) };
      if (error instanceof SiteStepLagging) {
        const waitMs = replicationWaitsMs[progress.entity.attempts];
        if (waitMs === undefined) return { next: await this.fail(tenantId, progress, error.reason, now) };
        return this.retryLater(progress, waitMs, `Microsoft is still replicating: ${error.reason}`, now);
      }
      if (error instanceof CredentialProblem)
        return {
          next: await this.fail(
            tenantId,
            progress,
            `the tenant's credentials no longer work (${credentialProblemText[error.code]})`,
            now,
          ),
        };
      const transient =
        (error instanceof GraphError && error.transient) ||
        error instanceof VaultUnavailable ||
        error instanceof IdentityUnavailable;
      if (!transient) throw error;
      const attempts = progress.entity.attempts + 1;
      if (
        progress.entity.state === 'requested' &&
        error instanceof GraphError &&
        error.status === 500 &&
        attempts >= addDomainAttempts
      )
        return {
          next: await this.fail(
            tenantId,
            progress,
            `Microsoft failed ${attempts} times to add ${progress.entity.domain} (it answers a protected DNS suffix so): check SBC_BASE_DOMAIN is a domain of the operator's own.`,
            now,
          ),
        };
      const waitMs = transientRetryMs(attempts);
      await this.save(progress, {
        attempts,
        lastAttemptAt: now.toISOString(),
        nextAttemptAt: new Date(now.getTime() + waitMs).toISOString(),
        lastError: (error as Error).message,
      });
      return { waitMs };
    }
  }

  private async step(tenantId: string, progress: Progress, now: Date, seen: SeenInThisRun): Promise<Step> {
    const site = progress.entity;
    // The message that scheduled the next attempt arrives then; an early one (a nudge, a repeat) is dropped, so
    // messages never multiply. A few seconds early is the queue's clock, not a duplicate.
    if (Date.parse(site.nextAttemptAt ?? '') - now.getTime() > dueSlackMs) return { notDue: true };
    const token = async () => (await this.tokenFor(tenantId, seen.freshToken)).accessToken;
    switch (site.state) {
      case 'requested': {
        await addDomain(this.deps.graph, await token(), site.domain);
        return { next: await this.advanceTo(progress, 'domain_added', {}, now) };
      }
      case 'domain_added':
        return { next: await this.publishRecords(tenantId, progress, await token(), now) };
      case 'awaiting_dns': {
        const result = await verifyDomain(this.deps.graph, await token(), site.domain);
        if (result.outcome === 'verified')
          return { next: await this.advanceTo(progress, 'verified', {}, now) };
        if (
          now.getTime() - Date.parse(site.awaitingDnsSince ?? site.updatedAt) >
          this.deps.verifyHours * 3_600_000
        )
          return {
            next: await this.fail(
              tenantId,
              progress,
              `Microsoft did not find the TXT record of ${site.domain} within ${this.deps.verifyHours} hours: publish it, then send the site request again`,
              now,
            ),
          };
        return this.retryLater(progress, verifyRetryMs(site.attempts + 1), result.said, now);
      }
      case 'verified': {
        const user = await ensureUser(
          this.deps.graph,
          await token(),
          site.userPrincipalName,
          site.usageLocation,
        );
        seen.user = user;
        return { next: await this.advanceTo(progress, 'user_created', { userId: user.id }, now) };
      }
      case 'user_created': {
        const skuId = await licenseForTeamsPhone(
          this.deps.graph,
          await token(),
          site.userId ?? site.userPrincipalName,
          site.usageLocation,
          seen.user,
        );
        return {
          next: await this.advanceTo(
            progress,
            'activating',
            { skuId, activatingSince: now.toISOString(), nextAttemptAt: now.toISOString() },
            now,
          ),
        };
      }
      case 'activating': {
        if (await activationSeen(this.deps.graph, await token(), site.userId ?? site.userPrincipalName))
          return { next: await this.activated(tenantId, progress, now) };
        if (
          now.getTime() - Date.parse(site.activatingSince ?? site.updatedAt) >
          this.deps.activationHours * 3_600_000
        )
          return {
            next: await this.fail(
              tenantId,
              progress,
              `Teams did not take up the activation user within ${this.deps.activationHours} hours; send the site request again to keep waiting`,
              now,
            ),
          };
        return this.retryLater(
          progress,
          activationRetryMs(site.attempts + 1),
          'Teams has not provisioned the activation user yet',
          now,
        );
      }
      default:
        return { waitMs: 0 };
    }
  }

  /** The records to publish, and site.dns_record_required, in one transaction with `awaiting_dns`. */
  private async publishRecords(
    tenantId: string,
    progress: Progress,
    token: string,
    now: Date,
  ): Promise<Progress> {
    const site = progress.entity;
    const txt = await verificationTxt(this.deps.graph, token, site.domain);
    const records: DnsRecord[] = [
      ...(txt
        ? [
            {
              type: 'TXT' as const,
              name: site.domain,
              value: txt.text,
              ttl: txt.ttl,
              purpose: 'verification' as const,
            },
          ]
        : []),
      { type: 'A', name: site.domain, value: this.deps.sbcDnsTarget ?? '', ttl: 3600, purpose: 'sbc' },
    ];
    const at = now.toISOString();
    return this.commit(
      tenantId,
      progress,
      {
        state: 'awaiting_dns',
        dnsRecords: JSON.stringify(records),
        awaitingDnsSince: at,
        attempts: 0,
        nextAttemptAt: new Date(now.getTime() + verifyRetryMs(1)).toISOString(),
        lastError: undefined,
      },
      [
        {
          type: 'site.dns_record_required',
          data: { tenantId, siteId: site.siteId, domain: site.domain, records },
        },
      ],
      now,
    );
  }

  private async activated(tenantId: string, progress: Progress, now: Date): Promise<Progress> {
    const site = progress.entity;
    const next = await this.commit(
      tenantId,
      progress,
      { state: 'activated', activatedAt: now.toISOString(), nextAttemptAt: undefined, lastError: undefined },
      [{ type: 'site.activated', data: { tenantId, siteId: site.siteId, domain: site.domain } }],
      now,
    );
    await this.afterEnd(tenantId);
    return next;
  }

  /** Ends the site at its step with site.failed (once: a failed site takes no more steps). */
  private async fail(tenantId: string, progress: Progress, reason: string, now: Date): Promise<Progress> {
    const site = progress.entity;
    const next = await this.commit(
      tenantId,
      progress,
      { state: 'failed', failedStep: site.state, failure: reason, nextAttemptAt: undefined },
      [{ type: 'site.failed', data: { tenantId, siteId: site.siteId, domain: site.domain, reason } }],
      now,
    );
    await this.afterEnd(tenantId);
    return next;
  }

  /** With no site left at work, the DNS roles are no longer needed now: the report says they can go. */
  private async afterEnd(tenantId: string): Promise<void> {
    let pending = false;
    for await (const { entity } of this.deps.tenants.queryPrefix<SiteProgress>(
      tenantId,
      tenantRowPrefixes.sites,
    ))
      pending ||= siteWorking(entity);
    await this.settleDnsWork(tenantId, pending);
  }

  private async settleDnsWork(tenantId: string, pending: boolean): Promise<void> {
    const tenant = await this.deps.registry.get(tenantId);
    if (!tenant || tenant.entity.dnsWorkPending === pending) return;
    await this.deps.registry.changeDnsWork(tenantId, { pending });
    await this.deps.revalidate(tenantId).catch(() => undefined);
  }

  private retryLater(progress: Progress, waitMs: number, said: string, now: Date): Promise<Step> {
    return this.save(progress, {
      attempts: progress.entity.attempts + 1,
      lastAttemptAt: now.toISOString(),
      nextAttemptAt: new Date(now.getTime() + waitMs).toISOString(),
      lastError: said,
    }).then(() => ({ waitMs }));
  }

  private advanceTo(
    progress: Progress,
    state: SiteState,
    changes: Partial<SiteProgress>,
    now: Date,
  ): Promise<Progress> {
    return this.save(progress, {
      state,
      attempts: 0,
      lastAttemptAt: now.toISOString(),
      nextAttemptAt: undefined,
      lastError: undefined,
      ...changes,
    });
  }

  private async commit(
    tenantId: string,
    progress: Progress,
    changes: Partial<SiteProgress>,
    events: DomainEvent[],
    now: Date,
  ): Promise<Progress> {
    const entity = tidy({ ...progress.entity, ...changes, updatedAt: now.toISOString() });
    const transaction = this.deps.tenants.transaction(tenantId).update(entity, progress.etag);
    this.deps.outbox.stage(transaction, events);
    await transaction.commit();
    await this.deps.outbox.kick(tenantId);
    const stored = await this.deps.tenants.get(tenantId, tenantRows.site(progress.entity.siteId));
    return stored ?? { entity, etag: '' };
  }

  private async save(progress: Progress, changes: Partial<SiteProgress>): Promise<Progress> {
    const entity = tidy({ ...progress.entity, ...changes, updatedAt: new Date().toISOString() });
    return { entity, etag: await this.deps.tenants.update(entity, progress.etag) };
  }

  private async tokenFor(tenantId: string, fresh = false) {
    const tenant = await this.deps.registry.get(tenantId);
    const serviceId = tenant ? servicesOf(tenant.entity)[0]?.id : undefined;
    const credential = serviceId ? await this.deps.secrets.get(tenantId, serviceId) : undefined;
    if (!credential) throw new CredentialProblem('invalid_secret');
    return this.deps.tokens.token(credential, { fresh });
  }

  private async knownTenant(tenantId: string): Promise<Stored<TenantRecord>> {
    const tenant = await this.deps.registry.get(tenantId);
    if (!tenant || isLeaving(tenant.entity.status)) throw new TenantNotFound(tenantId);
    return tenant;
  }

  private async usableTenant(tenantId: string): Promise<Stored<TenantRecord>> {
    const tenant = await this.knownTenant(tenantId);
    if (tenant.entity.status === 'credentials_invalid')
      throw new TenantNotReady('its credentials no longer work; reconnect it first');
    return tenant;
  }
}

/** Properties set to undefined are dropped, so a replaced row loses them. */
function tidy<T extends object>(entity: T): T {
  return Object.fromEntries(Object.entries(entity).filter(([, value]) => value !== undefined)) as T;
}

function withoutFailure(site: SiteProgress): SiteProgress {
  const { failure: _, failedStep: __, lastError: ___, ...rest } = site;
  return rest;
}

export function viewOf(tenantId: string, site: SiteProgress): SiteView {
  const records = recordsOf(site);
  return {
    tenantId,
    siteId: site.siteId,
    domain: site.domain,
    usageLocation: site.usageLocation,
    state: site.state,
    ...(records.length ? { dnsRecords: records } : {}),
    activationUser: {
      userPrincipalName: site.userPrincipalName,
      ...(site.userId ? { id: site.userId } : {}),
      ...(site.skuId ? { skuId: site.skuId } : {}),
    },
    ...(site.lastAttemptAt ? { lastAttemptAt: site.lastAttemptAt } : {}),
    ...(site.nextAttemptAt ? { nextAttemptAt: site.nextAttemptAt } : {}),
    ...(site.lastError ? { lastError: site.lastError } : {}),
    ...(site.failure ? { failure: site.failure } : {}),
    createdAt: site.createdAt,
    updatedAt: site.updatedAt,
    ...(site.activatedAt ? { activatedAt: site.activatedAt } : {}),
  };
}
