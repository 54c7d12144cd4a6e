import type { Outbox } from '../events/outbox.js';
import { type GraphClient, GraphError } from '../graph/graph-client.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem, credentialProblemText } from '../identity/credential-problem.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import type { EntityTable, Stored } from '../storage/entity-table.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { ConcurrencyError, EntityExistsError } from '../storage/storage-errors.js';
import { tableFilter } from '../storage/table-filters.js';
import { knownTenant, usableTenant, workingCredential } from '../tenants/tenant-access.js';
import { type TenantTable, tenantRowPrefixes, tenantRows } from '../tenants/tenant-partition.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { backoffMs } from '../workflows/backoff.js';
import { type StepResult, WorkflowRunner } from '../workflows/workflow-runner.js';
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
import { recordsOf, type SiteProgress, siteStates, siteWorking } from './site-progress.js';
import type { SiteRoleCheck } from './site-roles.js';
import type { AddSite, DnsRecord, SiteView } from './site-schema.js';

/** One site to advance: a message on the `site-work` queue. */
export interface SiteJob {
  tenantId: string;
  siteId: string;
}

/** Which site an SBC sub-domain is (`SiteDomains`, partition = the domain): one claim per domain across tenants. */
export interface SiteDomainClaim {
  tenantId: string;
  siteId: string;
  claimedAt: string;
}

export interface TenantSitesDeps {
  /** The term of the workflow's lease (its own default when not set). */
  leaseTtlMs?: number;
  registry: TenantRegistry;
  domainClaims: EntityTable<SiteDomainClaim>;
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

const claimRow = 'claim';
/** A domain claim without its site is taken over after this long (its request failed or its tenant left). */
const claimTakeoverMs = 5 * 60_000;
/** The activation user's name on each site's sub-domain (the product's own name for it). */
const activationAlias = 'ump-activation-user';
/**
 * Entra takes at most 48 characters after a user principal name's `@` (UNCONFIRMED: Microsoft's password
 * policy page says so; Graph's reference is silent), and the activation user lives on the site's sub-domain.
 */
const maxDomainLength = 48;
/** Transient failures of `POST /domains` in a row before the site fails (Microsoft answers a protected suffix with 500). */
const addDomainAttempts = 5;
/** Microsoft's answers to wait for, tried again at growing intervals (the DNS the core publishes, Teams taking up a user). */
const verifyRetryMs = (attempts: number) => backoffMs(attempts, { firstMs: 30_000, capMs: 3_600_000 });
const activationRetryMs = (attempts: number) => backoffMs(attempts, { firstMs: 10_000, capMs: 1_800_000 });
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
 * second domain, user or licence. Driven by the workflow runner on the `site-work` queue.
 */
export class TenantSites {
  /** Drives the site rows: their lease, steps, waits, sweep and poisoned messages. */
  readonly runner: WorkflowRunner<SiteProgress, SiteJob, SeenInThisRun>;

  constructor(private readonly deps: TenantSitesDeps) {
    this.runner = new WorkflowRunner<SiteProgress, SiteJob, SeenInThisRun>(
      {
        name: 'site',
        keys: ({ tenantId, siteId }) => ({
          partition: tenantId,
          rowKey: tenantRows.site(siteId),
          leaseRowKey: tenantRows.siteLease(siteId),
        }),
        jobOf: (tenantId, site) => ({ tenantId, siteId: site.siteId }),
        rowPrefix: tenantRowPrefixes.sites,
        working: siteWorking,
        step: (row, now, run) => this.step(row, now, run),
        leaseTtlMs: deps.leaseTtlMs ?? 30_000,
        sweepAfterMs: 5 * 60_000,
      },
      deps.queue,
      { table: deps.tenants, outbox: deps.outbox },
    );
  }

  /** Starts a site (or finds it started, or resumes one that failed); the work goes on through the queue. */
  async add(
    tenantId: string,
    request: AddSite,
    options: { checkRoles?: boolean } = {},
    now = new Date(),
  ): Promise<SiteAddition> {
    const base = this.deps.sbcBaseDomain;
    if (!base || !this.deps.sbcDnsTarget) throw new SitesNotConfigured();
    await usableTenant(this.deps.registry, tenantId);
    const domain = `${request.label}.${base}`;
    if (domain.length > maxDomainLength)
      throw new SiteDomainInvalid(
        `${domain} is ${domain.length} characters: the activation user's name on it allows at most ${maxDomainLength}. Choose a shorter label.`,
      );
    // Two requests at once (a retry, two sites) meet at the tenant row's etag: the one that lost reads again.
    for (let tries = 0; ; tries += 1) {
      try {
        return await this.start(tenantId, request, domain, options.checkRoles !== false, now);
      } catch (error) {
        if (!(error instanceof ConcurrencyError || error instanceof EntityExistsError) || tries >= 4)
          throw error;
      }
    }
  }

  private async start(
    tenantId: string,
    request: AddSite,
    domain: string,
    checkRoles: boolean,
    now: Date,
  ): Promise<SiteAddition> {
    const tenant = await usableTenant(this.deps.registry, tenantId);
    const existing = await this.deps.tenants.get(tenantId, tenantRows.site(request.siteId));
    if (existing) return this.again(tenantId, existing, request, now);
    await this.refuseTakenDomain(tenantId, domain);
    if (checkRoles) await this.deps.roles.assertReady(tenantId);
    await this.claimDomain(tenantId, request.siteId, domain, now);
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
    await this.deps.registry.changeDnsWork(
      tenantId,
      {
        pending: true,
        etag: tenant.etag,
        alongside: (transaction) => transaction.insert({ rowKey: tenantRows.site(request.siteId), ...site }),
      },
      now,
    );
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

  /**
   * The sub-domain claimed for this site, so two tenants asking for the same label at once cannot both start: the
   * claim is one row per domain. One whose site is gone (its tenant offboarded, or the request that claimed it
   * failed) is taken over once it is a few minutes old; a younger one belongs to a request still under way.
   */
  private async claimDomain(tenantId: string, siteId: string, domain: string, now: Date): Promise<void> {
    const claim = { tenantId, siteId: siteId.toLowerCase(), claimedAt: now.toISOString() };
    try {
      await this.deps.domainClaims.insert({ partitionKey: domain, rowKey: claimRow, ...claim });
      return;
    } catch (error) {
      if (!(error instanceof EntityExistsError)) throw error;
    }
    const held = await this.deps.domainClaims.get(domain, claimRow);
    if (!held) throw new ConcurrencyError(`the claim of ${domain} went meanwhile`);
    const { tenantId: owner, siteId: ownerSite } = held.entity;
    if (owner === tenantId && ownerSite === claim.siteId) return;
    const underWay = now.getTime() - Date.parse(held.entity.claimedAt) < claimTakeoverMs;
    if (underWay || (await this.deps.tenants.get(owner, tenantRows.site(ownerSite))))
      throw new SiteConflict(
        owner === tenantId
          ? `Site ${ownerSite} of this tenant has ${domain} already.`
          : `${domain} is another tenant's site: a sub-domain can be verified in one tenant only. Choose another label.`,
      );
    await this.deps.domainClaims.update({ partitionKey: domain, rowKey: claimRow, ...claim }, held.etag);
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
    await knownTenant(this.deps.registry, tenantId);
    const views: SiteView[] = [];
    for await (const { entity } of this.deps.tenants.queryPrefix<SiteProgress>(
      tenantId,
      tenantRowPrefixes.sites,
    ))
      views.push(viewOf(tenantId, entity));
    return views;
  }

  async view(tenantId: string, siteId: string): Promise<SiteView> {
    await knownTenant(this.deps.registry, tenantId);
    const stored = await this.deps.tenants.get(tenantId, tenantRows.site(siteId));
    if (!stored) throw new SiteNotFound(siteId);
    return viewOf(tenantId, stored.entity);
  }

  /**
   * The core published the records: verification is tried now, and the site taken on as far as it goes. A call
   * while a worker or another call is at it (a repeat, a double click) leaves the work to that one and answers the
   * site as it is.
   */
  async verifyNow(tenantId: string, siteId: string): Promise<SiteView> {
    await usableTenant(this.deps.registry, tenantId);
    const stored = await this.deps.tenants.get(tenantId, tenantRows.site(siteId));
    if (!stored) throw new SiteNotFound(siteId);
    const { state } = stored.entity;
    // Verified by a call or a worker just before this one: the answer is the site as it is now.
    if (state !== 'failed' && siteStates.indexOf(state) > siteStates.indexOf('awaiting_dns'))
      return viewOf(tenantId, stored.entity);
    if (state !== 'awaiting_dns') throw new SiteNotAwaitingDns(siteId, state);
    await this.runner.work({ tenantId, siteId }, { dueNow: true });
    return this.view(tenantId, siteId);
  }

  enqueue(job: SiteJob, delayMs = 0): Promise<string> {
    return this.runner.enqueue(job, delayMs);
  }

  /**
   * Sites whose message was lost are queued again, and each tenant's `dnsWorkPending` is made to match its sites
   * (a crash after a site ended may have left it set).
   */
  async sweep(now = new Date()): Promise<{ queued: number }> {
    const working = new Map<string, boolean>();
    const swept = await this.runner.sweep(now, (tenantId, site) =>
      working.set(tenantId, (working.get(tenantId) ?? false) || siteWorking(site)),
    );
    for (const [tenantId, pending] of working) await this.settleDnsWork(tenantId, pending);
    return swept;
  }

  /** One step of the site (see site-progress.ts); the runner saves what it returns. */
  private async step(progress: Progress, now: Date, seen: SeenInThisRun): Promise<StepResult<SiteProgress>> {
    const tenantId = progress.entity.partitionKey;
    try {
      return await this.stepOf(tenantId, progress.entity, now, seen);
    } catch (error) {
      if (error instanceof SiteStepRefused && error.forbidden && !seen.freshToken) {
        // The cached token may predate the customer's grant (its roles are fixed when issued): one fresh try.
        seen.freshToken = true;
        return this.step(progress, now, seen);
      }
      return this.sorted(tenantId, progress.entity, error);
    }
  }

  /** A step's failure sorted: refusals end the site, Entra's replicas are waited out; faults that pass go to the runner. */
  private sorted(tenantId: string, site: SiteProgress, error: unknown): StepResult<SiteProgress> {
    if (error instanceof SiteStepRefused) return this.failed(tenantId, site, error.reason);
    if (error instanceof SiteStepLagging) {
      const wait = replicationWaitsMs[site.attempts];
      if (wait === undefined) return this.failed(tenantId, site, error.reason);
      return { wait, said: `Microsoft is still replicating: ${error.reason}` };
    }
    if (error instanceof CredentialProblem)
      return this.failed(
        tenantId,
        site,
        `the tenant's credentials no longer work (${credentialProblemText[error.code]})`,
      );
    if (
      site.state === 'requested' &&
      error instanceof GraphError &&
      error.status === 500 &&
      site.attempts + 1 >= addDomainAttempts
    )
      return this.failed(
        tenantId,
        site,
        `Microsoft failed ${site.attempts + 1} times to add ${site.domain} (it answers a protected DNS suffix so): check SBC_BASE_DOMAIN is a domain of the operator's own.`,
      );
    throw error;
  }

  private async stepOf(
    tenantId: string,
    site: SiteProgress,
    now: Date,
    seen: SeenInThisRun,
  ): Promise<StepResult<SiteProgress>> {
    const token = async () => (await this.tokenFor(tenantId, seen.freshToken)).accessToken;
    switch (site.state) {
      case 'requested':
        await addDomain(this.deps.graph, await token(), site.domain);
        return { next: { state: 'domain_added' } };
      case 'domain_added':
        return this.publishRecords(tenantId, site, await token(), now);
      case 'awaiting_dns': {
        const result = await verifyDomain(this.deps.graph, await token(), site.domain);
        if (result.outcome === 'verified') return { next: { state: 'verified' } };
        if (
          now.getTime() - Date.parse(site.awaitingDnsSince ?? site.updatedAt) >
          this.deps.verifyHours * 3_600_000
        )
          return this.failed(
            tenantId,
            site,
            `Microsoft did not find the TXT record of ${site.domain} within ${this.deps.verifyHours} hours: publish it, then send the site request again`,
          );
        return { wait: verifyRetryMs(site.attempts + 1), said: result.said };
      }
      case 'verified': {
        const user = await ensureUser(
          this.deps.graph,
          await token(),
          site.userPrincipalName,
          site.usageLocation,
        );
        seen.user = user;
        return { next: { state: 'user_created', userId: user.id } };
      }
      case 'user_created': {
        const skuId = await licenseForTeamsPhone(
          this.deps.graph,
          await token(),
          site.userId ?? site.userPrincipalName,
          site.usageLocation,
          seen.user,
        );
        return { next: { state: 'activating', skuId, activatingSince: now.toISOString() } };
      }
      case 'activating': {
        if (await activationSeen(this.deps.graph, await token(), site.userId ?? site.userPrincipalName))
          return {
            next: { state: 'activated', activatedAt: now.toISOString() },
            events: [
              { type: 'site.activated', data: { tenantId, siteId: site.siteId, domain: site.domain } },
            ],
            after: () => this.afterEnd(tenantId),
          };
        if (
          now.getTime() - Date.parse(site.activatingSince ?? site.updatedAt) >
          this.deps.activationHours * 3_600_000
        )
          return this.failed(
            tenantId,
            site,
            `Teams did not take up the activation user within ${this.deps.activationHours} hours; send the site request again to keep waiting`,
          );
        return {
          wait: activationRetryMs(site.attempts + 1),
          said: 'Teams has not provisioned the activation user yet',
        };
      }
      default:
        throw new Error(`a site in state ${site.state} has no step`);
    }
  }

  /** The records to publish, and site.dns_record_required, in one transaction with `awaiting_dns`. */
  private async publishRecords(
    tenantId: string,
    site: SiteProgress,
    token: string,
    now: Date,
  ): Promise<StepResult<SiteProgress>> {
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
    return {
      next: {
        state: 'awaiting_dns',
        dnsRecords: JSON.stringify(records),
        awaitingDnsSince: now.toISOString(),
        nextAttemptAt: new Date(now.getTime() + verifyRetryMs(1)).toISOString(),
      },
      events: [
        {
          type: 'site.dns_record_required',
          data: { tenantId, siteId: site.siteId, domain: site.domain, records },
        },
      ],
    };
  }

  /** Ends the site at its step with site.failed (once: a failed site takes no more steps). */
  private failed(tenantId: string, site: SiteProgress, reason: string): StepResult<SiteProgress> {
    return {
      next: { state: 'failed', failedStep: site.state, failure: reason },
      events: [{ type: 'site.failed', data: { tenantId, siteId: site.siteId, domain: site.domain, reason } }],
      after: () => this.afterEnd(tenantId),
    };
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

  private async tokenFor(tenantId: string, fresh = false) {
    const tenant = await this.deps.registry.get(tenantId);
    const credential = await workingCredential(this.deps.secrets, tenantId, tenant?.entity).catch(() => {
      throw new CredentialProblem('invalid_secret');
    });
    return this.deps.tokens.token(credential, { fresh });
  }
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
