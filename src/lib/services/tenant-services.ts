import { keyOfCertificate } from '../credentials/password-of-secret.js';
import { RotationInProgress } from '../credentials/rotation-errors.js';
import { rotationRunning } from '../credentials/rotation-progress.js';
import { type OwnApp, type SelfManagedApp, selfManagedApp } from '../credentials/self-managed-app.js';
import {
  addServiceCredential,
  CredentialRefusedByPolicy,
  storeServiceCredential,
} from '../credentials/service-credential.js';
import type { Outbox } from '../events/outbox.js';
import { removeCertificateKey } from '../graph/app-keys.js';
import { removePassword } from '../graph/app-passwords.js';
import type { GraphClient } from '../graph/graph-client.js';
import { proofIdentity } from '../identity/app-credential.js';
import type { AppToken, AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem } from '../identity/credential-problem.js';
import type { KeyVaultAssertions } from '../identity/key-vault-assertions.js';
import { secretStartsWorking } from '../identity/secret-propagation.js';
import { serviceSecretUrl } from '../onboarding/onboarding-urls.js';
import { secretName } from '../onboarding/registration-names.js';
import type { TenantCertificates } from '../secrets/tenant-certificates.js';
import type { TenantCredential, TenantSecretStore } from '../secrets/tenant-secret-store.js';
import type { CustomerLinks, ServiceSecretLink } from '../storage/customer-links.js';
import type { Stored } from '../storage/entity-table.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { ConcurrencyError, EntityExistsError } from '../storage/storage-errors.js';
import { knownTenant, usableTenant } from '../tenants/tenant-access.js';
import { TenantNotReady } from '../tenants/tenant-errors.js';
import { type TenantTable, tenantRowPrefixes, tenantRows } from '../tenants/tenant-partition.js';
import { isLeaving, servicesOf, type TenantRecord, type TenantService } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { backoffMs } from '../workflows/backoff.js';
import { type Advance, type StepResult, WorkflowRunner } from '../workflows/workflow-runner.js';
import {
  LastServiceRemoval,
  ServiceConflict,
  ServiceLinkUnavailable,
  ServiceNeedsCustomer,
  ServiceNotFound,
  ServiceSecretPending,
  ServiceSecretRefused,
} from './service-errors.js';
import { type ServiceJob, type ServiceProgress, serviceWorking } from './service-progress.js';
import type { AddService, ServiceRemovalView, ServiceView } from './service-schema.js';

export interface TenantServicesDeps {
  /** The term of the workflow's lease (its own default when not set). */
  leaseTtlMs?: number;
  registry: TenantRegistry;
  links: CustomerLinks<ServiceSecretLink>;
  publicBaseUrl: string;
  /** How long a customer's link to give a service its secret works (as invitations do). */
  linkLifetimeDays: number;
  /** The `Tenants` table: each service's progress is kept in its tenant's partition. */
  progress: TenantTable;
  secrets: TenantSecretStore;
  certificates: TenantCertificates;
  assertions: KeyVaultAssertions;
  tokens: AppTokenProvider;
  graph: GraphClient;
  outbox: Outbox;
  queue: MessageQueue<ServiceJob>;
  sleep?: (ms: number) => Promise<void>;
}

type Progress = Stored<ServiceProgress>;

export interface ServiceAddition {
  outcome: 'added' | 'unchanged' | 'awaiting_customer';
  view: ServiceView;
}

/** What the customer's link page shows. */
export interface ServiceLinkView {
  tenantId: string;
  serviceId: string;
  serviceName: string;
  clientId: string;
  customer: string;
  expiresAt: string;
}

/** A secret the customer's admin gives is taken to last this long (Microsoft recommends under 12 months). */
const customerSecretLifetimeDays = 180;

const sameId = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * A request that finds another at work on the same service looks again this often, this many times: longer than
 * the lease lasts, so one whose holder died takes over.
 */
const pollForOtherMs = 250;
const maxPollsForOther = 100;
const serviceLeaseMs = 15_000;

/**
 * Day Two services on an onboarded tenant, each with a secret of its own. The connector adds one to a
 * registration that manages itself (it owns itself and holds Application.ReadWrite.OwnedBy): a new password with
 * the app's own token, its secret straight to Key Vault, proven with a token, then recorded with
 * tenant.service_added. Every step is recorded first (`service|{id}`), so the same request after a crash resumes
 * at the step it stopped at and never leaves a second password behind.
 */
export class TenantServices {
  /** Drives the service rows: their lease, steps, waits, sweep and poisoned messages. */
  readonly runner: WorkflowRunner<ServiceProgress, ServiceJob>;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: TenantServicesDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.runner = new WorkflowRunner<ServiceProgress, ServiceJob>(
      {
        name: 'service',
        keys: ({ tenantId, serviceId }) => ({
          partition: tenantId,
          rowKey: tenantRows.service(serviceId),
          leaseRowKey: tenantRows.serviceLease(serviceId),
        }),
        jobOf: (tenantId, progress) => ({ tenantId, serviceId: progress.serviceId }),
        rowPrefix: tenantRowPrefixes.services,
        working: serviceWorking,
        step: (row, now) => this.step(row, now),
        leaseTtlMs: deps.leaseTtlMs ?? serviceLeaseMs,
        sweepAfterMs: 5 * 60_000,
      },
      deps.queue,
      { table: deps.progress, outbox: deps.outbox },
    );
  }

  /**
   * Adds a service: `added` with its secret proven, `unchanged` when the same request had done so, or
   * `awaiting_customer` with a link for the customer's admin when the registration cannot add the secret itself.
   */
  async add(tenantId: string, request: AddService, now = new Date()): Promise<ServiceAddition> {
    const tenant = await usableTenant(this.deps.registry, tenantId);
    const key = tenantRows.service(request.id);
    const progress = await this.deps.progress.get(tenantId, key);
    if (progress && !this.sameRequest(progress.entity, request)) throw new ServiceConflict(request.id);
    const listed = servicesOf(tenant.entity).find((service) => sameId(service.id, request.id));
    if (listed) {
      if (progress?.entity.state === 'active')
        return { outcome: 'unchanged', view: viewOf(tenantId, progress.entity) };
      throw new ServiceConflict(request.id);
    }
    if (progress?.entity.state === 'awaiting_customer')
      return this.awaitCustomer(tenantId, request, progress, now);
    if (!progress) {
      try {
        await selfManagedApp(this.deps, tenantId, servicesOf(tenant.entity)[0]?.id ?? '');
      } catch (error) {
        if (error instanceof ServiceNeedsCustomer)
          return this.awaitCustomer(tenantId, request, undefined, now);
        throw error;
      }
      await this.begin(tenantId, request, 'adding', now);
    }
    return this.takeOn(tenantId, request, now);
  }

  /**
   * The service's steps taken now, as far as they go. A request that finds another at work on the service (a retry
   * racing the original) waits for it and answers what it did; one that must wait for Entra leaves the rest to the
   * queue and says to send the request again.
   */
  private async takeOn(tenantId: string, request: AddService, now: Date): Promise<ServiceAddition> {
    const job = { tenantId, serviceId: request.id };
    let result: Advance;
    let progress: Progress | undefined;
    // Another request or worker at it: looked at again until it is done, or its lease ends (it died) and this
    // request takes over.
    for (let polls = 0; ; polls += 1) {
      result = await this.runner.work(job, { now: polls ? new Date() : now, dueNow: true });
      progress = await this.deps.progress.get(tenantId, tenantRows.service(request.id));
      if (result.outcome !== 'busy' || !progress || !serviceWorking(progress.entity)) break;
      if (polls >= maxPollsForOther) throw new ServiceSecretPending(progress.entity.lastError);
      await this.sleep(pollForOtherMs);
    }
    if (!progress) throw new ServiceConflict(request.id);
    if (progress.entity.state === 'awaiting_customer')
      return this.awaitCustomer(tenantId, request, progress, now);
    if (progress.entity.state !== 'active') throw new ServiceSecretPending(progress.entity.lastError);
    return {
      outcome: result.outcome === 'finished' && result.moved ? 'added' : 'unchanged',
      view: viewOf(tenantId, progress.entity),
    };
  }

  /** One step of adding a service (see service-progress.ts); the runner saves what it returns. */
  private async step(progress: Progress, now: Date): Promise<StepResult<ServiceProgress>> {
    const tenantId = progress.entity.partitionKey;
    const tenant = await knownTenant(this.deps.registry, tenantId);
    const { serviceId } = progress.entity;
    if (progress.entity.state === 'adding') {
      let selfManaging: SelfManagedApp;
      try {
        selfManaging = await selfManagedApp(this.deps, tenantId, servicesOf(tenant.entity)[0]?.id ?? '');
      } catch (error) {
        // The app no longer lets the connector add a secret: the next request gives the customer's admin a link.
        if (error instanceof ServiceNeedsCustomer) return { next: { state: 'awaiting_customer' } };
        throw error;
      }
      const { credential, token, app } = selfManaging;
      const stored = await this.addCredential(credential, token, app, serviceId, now);
      return {
        next: { state: 'stored', keyId: stored.keyId ?? '', secretExpiresAt: stored.expiresOn.toISOString() },
      };
    }
    const { clientId } = tenant.entity;
    const stored = await this.deps.secrets.get(tenantId, serviceId);
    // Stopped before its secret reached Key Vault: added again (a connector's password named for it goes first).
    if (!stored) return { next: { state: 'adding' } };
    if (!(await secretStartsWorking(this.deps.tokens, { ...stored, tenantId, clientId }, this.sleep)))
      return {
        wait: backoffMs((progress.entity.attempts ?? 0) + 1),
        said: 'Entra does not take the new secret yet (it is still reaching every replica)',
      };
    const { name, licenceType, secretExpiresAt } = progress.entity;
    return {
      next: { state: 'active' },
      alongside: (transaction) =>
        this.deps.registry.writeServices(
          transaction,
          tenant,
          [...servicesOf(tenant.entity), { id: serviceId, name, licenceType }],
          now,
        ),
      events: [
        {
          type: 'tenant.service_added',
          data: { tenantId, serviceId, name, licenceType, secretExpiresAt: secretExpiresAt ?? '' },
        },
      ],
    };
  }

  /** What a customer's link stands for, while it works: the service, the tenant's app, until when. */
  async describeLink(token: string, now = new Date()): Promise<ServiceLinkView> {
    const { link, progress, tenant } = await this.openLink(token, now);
    return {
      tenantId: link.tenantId,
      serviceId: progress.entity.serviceId,
      serviceName: progress.entity.name,
      clientId: tenant.entity.clientId,
      customer: JSON.parse(tenant.entity.customer).name,
      expiresAt: progress.entity.linkExpiresAt ?? '',
    };
  }

  /**
   * The customer's admin gave the service its secret: proven with a fresh token for the tenant's app (a
   * CredentialProblem says what to fix, and nothing is stored), then stored and recorded like any other.
   */
  async completeWithCustomerSecret(token: string, secret: string, now = new Date()): Promise<ServiceView> {
    const { link, progress } = await this.openLink(token, now);
    const tenant = await usableTenant(this.deps.registry, link.tenantId);
    const clientId = tenant.entity.clientId;
    const value = secret.trim();
    if (!value) throw new CredentialProblem('invalid_secret');
    await this.deps.tokens.token({ tenantId: link.tenantId, clientId, secret: value }, { fresh: true });
    const expiresOn = new Date(now.getTime() + customerSecretLifetimeDays * 86_400_000);
    // Taken by this submission first, so a second one at once (a double click) finds the link done.
    try {
      await this.save(progress, {
        state: 'stored',
        secretExpiresAt: expiresOn.toISOString(),
        updatedAt: now.toISOString(),
      });
    } catch (error) {
      if (error instanceof ConcurrencyError) throw new ServiceLinkUnavailable('done');
      throw error;
    }
    await this.deps.secrets.put({
      tenantId: link.tenantId,
      serviceId: progress.entity.serviceId,
      clientId,
      secret: value,
      expiresOn,
    });
    await this.runner.work(
      { tenantId: link.tenantId, serviceId: progress.entity.serviceId },
      { now, dueNow: true },
    );
    const stored = await this.deps.progress.get(link.tenantId, tenantRows.service(progress.entity.serviceId));
    return viewOf(link.tenantId, stored?.entity ?? progress.entity);
  }

  /**
   * Removes a service: its password from the app (when the connector can, and knows which one is the service's
   * alone), its Key Vault secret, and the service from the tenant (tenant.service_removed says what the customer's
   * admin must still remove). The last service cannot be removed this way.
   */
  async remove(tenantId: string, serviceId: string, now = new Date()): Promise<ServiceRemovalView> {
    const tenant = await knownTenant(this.deps.registry, tenantId);
    const services = servicesOf(tenant.entity);
    const service = services.find((candidate) => sameId(candidate.id, serviceId));
    if (!service) return this.withdraw(tenantId, serviceId);
    const remaining = services.filter((candidate) => candidate !== service);
    if (remaining.length === 0) throw new LastServiceRemoval();
    const progress = await this.deps.progress.get(tenantId, tenantRows.service(service.id));
    const rotation = await this.deps.progress.get(tenantId, tenantRows.rotation(service.id));
    if (rotationRunning(rotation?.entity)) throw new RotationInProgress(service.id);
    const passwordRemoved = await this.removeServicePassword(
      tenantId,
      tenant.entity,
      remaining,
      service,
      progress,
    );
    await this.deps.secrets.delete(tenantId, service.id);
    const leftToCustomer = passwordRemoved
      ? undefined
      : `Remove the client secret of service ${service.id} from the app registration ${tenant.entity.clientId} (the connector cannot tell it apart or may not change the app).`;
    const removed: ServiceRemovalView = {
      tenantId,
      serviceId: service.id,
      passwordRemoved,
      ...(leftToCustomer ? { leftToCustomer } : {}),
    };
    await this.deps.registry.changeServices(
      tenantId,
      {
        services: remaining,
        etag: tenant.etag,
        alongside: (transaction) => {
          if (progress) transaction.deleteUnconditionally(tenantRows.service(service.id));
          if (rotation) transaction.deleteUnconditionally(tenantRows.rotation(service.id));
        },
        events: [{ type: 'tenant.service_removed', data: removed }],
      },
      now,
    );
    return removed;
  }

  /**
   * A service still waiting for the customer's secret is withdrawn: its request is forgotten, so its links stop
   * working (each names the request it was made for) and the same id may be requested afresh.
   */
  private async withdraw(tenantId: string, serviceId: string): Promise<ServiceRemovalView> {
    const progress = await this.deps.progress.get(tenantId, tenantRows.service(serviceId));
    if (progress?.entity.state !== 'awaiting_customer') throw new ServiceNotFound(serviceId);
    try {
      await this.deps.progress.delete(tenantId, tenantRows.service(serviceId), progress.etag);
    } catch (error) {
      // The customer's admin gave the secret at this moment: the service is no longer only a request.
      if (error instanceof ConcurrencyError) throw new ServiceNotFound(serviceId);
      throw error;
    }
    return { tenantId, serviceId: progress.entity.serviceId, passwordRemoved: false, withdrawn: true };
  }

  /** Records that the customer's admin must give the secret, and gives them a link (a new one on each request). */
  private async awaitCustomer(
    tenantId: string,
    request: AddService,
    existing: Progress | undefined,
    now: Date,
  ): Promise<ServiceAddition> {
    const fresh = new Date(now.getTime() + this.deps.linkLifetimeDays * 86_400_000).toISOString();
    let progress = existing ?? (await this.begin(tenantId, request, 'awaiting_customer', now, fresh));
    const expired =
      !progress.entity.linkExpiresAt || Date.parse(progress.entity.linkExpiresAt) <= now.getTime();
    if (progress.entity.state !== 'awaiting_customer' || expired)
      progress = await this.save(progress, {
        state: 'awaiting_customer',
        linkExpiresAt: fresh,
        updatedAt: now.toISOString(),
      });
    const token = await this.deps.links.issue({
      tenantId,
      serviceId: progress.entity.serviceId,
      requestedAt: progress.entity.requestedAt,
    });
    return {
      outcome: 'awaiting_customer',
      view: {
        ...viewOf(tenantId, progress.entity),
        secretLink: {
          url: serviceSecretUrl(this.deps.publicBaseUrl, token),
          expiresAt: progress.entity.linkExpiresAt ?? fresh,
        },
      },
    };
  }

  private async openLink(token: string, now: Date) {
    const link = await this.deps.links.find(token);
    if (!link) throw new ServiceLinkUnavailable('unknown');
    const [progress, tenant] = await Promise.all([
      this.deps.progress.get(link.tenantId, tenantRows.service(link.serviceId)),
      this.deps.registry.get(link.tenantId),
    ]);
    if (!progress || !tenant || isLeaving(tenant.entity.status)) throw new ServiceLinkUnavailable('unknown');
    // A link made for an earlier request of the same id (withdrawn since) does not come back to life; links
    // made before links named their request carry none.
    if (link.requestedAt && link.requestedAt !== progress.entity.requestedAt)
      throw new ServiceLinkUnavailable('unknown');
    if (progress.entity.state === 'active' || progress.entity.state === 'stored')
      throw new ServiceLinkUnavailable('done');
    if (
      progress.entity.state !== 'awaiting_customer' ||
      Date.parse(progress.entity.linkExpiresAt ?? '') <= now.getTime()
    )
      throw new ServiceLinkUnavailable('expired');
    return { link, progress, tenant };
  }

  private sameRequest(progress: ServiceProgress, request: AddService): boolean {
    return (
      sameId(progress.serviceId, request.id) &&
      progress.name === request.name &&
      progress.licenceType === request.licenceType
    );
  }

  private async begin(
    tenantId: string,
    request: AddService,
    state: ServiceProgress['state'],
    now: Date,
    linkExpiresAt?: string,
  ): Promise<Progress> {
    const at = now.toISOString();
    const row: ServiceProgress = {
      serviceId: request.id,
      name: request.name,
      licenceType: request.licenceType,
      state,
      ...(linkExpiresAt ? { linkExpiresAt } : {}),
      requestedAt: at,
      updatedAt: at,
    };
    const key = tenantRows.service(request.id);
    try {
      await this.deps.progress.insert({ partitionKey: tenantId, rowKey: key, ...row });
    } catch (error) {
      if (!(error instanceof EntityExistsError)) throw error;
    }
    const stored = await this.deps.progress.get(tenantId, key);
    if (!stored || !this.sameRequest(stored.entity, request)) throw new ServiceConflict(request.id);
    return stored;
  }

  /**
   * The service's credential, to Key Vault at once: a password, or a certificate of its own when the tenant's
   * services use certificates or its policy refuses new secrets (put on the app with a proof by the certificate
   * `current`, the tenant's first service's credential, holds). One of the service's name left by an attempt that
   * stopped before its credential was recorded is removed first, so the app keeps one per service.
   */
  private async addCredential(
    current: TenantCredential,
    token: AppToken,
    app: OwnApp,
    serviceId: string,
    now: Date,
  ): Promise<TenantCredential> {
    const { graph } = this.deps;
    const { tenantId, clientId } = current;
    const name = secretName(serviceId);
    for (const credential of app.passwordCredentials)
      if (credential.displayName === name)
        await removePassword(graph, token.accessToken, app.id, credential.keyId);
    let stored: TenantCredential;
    try {
      stored = await addServiceCredential(
        this.deps,
        token.accessToken,
        app,
        { tenantId, serviceId, clientId },
        { certificate: Boolean(current.certificate), proofBy: current.certificate, now },
      );
    } catch (error) {
      if (error instanceof CredentialRefusedByPolicy) throw new ServiceSecretRefused();
      throw error;
    }
    await storeServiceCredential(this.deps, token.accessToken, app, stored);
    return stored;
  }

  /**
   * The service's own password, removed when the connector may change the app and knows it is this service's
   * alone: the one it added (`keyId`), or the one onboarding named for the service. Manual onboarding's secrets
   * carry no such name (and may be shared), so they stay for the customer's admin.
   */
  private async removeServicePassword(
    tenantId: string,
    tenant: TenantRecord,
    remaining: TenantService[],
    service: TenantService,
    progress: Progress | undefined,
  ): Promise<boolean> {
    let token: AppToken;
    let app: OwnApp;
    let theirCredential: TenantCredential;
    try {
      ({
        token,
        app,
        credential: theirCredential,
      } = await selfManagedApp(this.deps, tenantId, remaining[0]?.id ?? ''));
    } catch (error) {
      if (error instanceof ServiceNeedsCustomer || error instanceof TenantNotReady) return false;
      throw error;
    }
    const name = secretName(service.id);
    const stored = await this.deps.secrets.get(tenantId, service.id);
    for (const other of remaining) {
      const theirs = await this.deps.secrets.get(tenantId, other.id);
      // Another service uses the same secret: its password must stay.
      if (
        theirs &&
        stored &&
        (proofIdentity(theirs) === proofIdentity(stored) || (theirs.keyId && theirs.keyId === stored.keyId))
      )
        return false;
    }
    const storedKeyId = stored?.keyId;
    const key = stored && keyOfCertificate(stored, app);
    if (key && stored?.certificate) {
      await removeCertificateKey(
        this.deps,
        token.accessToken,
        app,
        key.keyId,
        theirCredential.certificate ?? stored.certificate,
      );
      return true;
    }
    const password = app.passwordCredentials.find(
      (credential) =>
        credential.keyId === storedKeyId ||
        credential.keyId === progress?.entity.keyId ||
        credential.displayName === name,
    );
    if (!password) return tenant.method === 'automatic' || Boolean(progress?.entity.keyId);
    await removePassword(this.deps.graph, token.accessToken, app.id, password.keyId);
    return true;
  }

  private async save(progress: Progress, changes: Partial<ServiceProgress>): Promise<Progress> {
    const entity = { ...progress.entity, ...changes };
    return { entity, etag: await this.deps.progress.update(entity, progress.etag) };
  }
}

function viewOf(tenantId: string, progress: ServiceProgress): ServiceView {
  return {
    tenantId,
    status: progress.state === 'awaiting_customer' ? 'awaiting_customer' : 'active',
    service: {
      id: progress.serviceId,
      name: progress.name,
      licenceType: progress.licenceType as ServiceView['service']['licenceType'],
      ...(progress.secretExpiresAt ? { secretExpiresAt: progress.secretExpiresAt } : {}),
    },
  };
}
