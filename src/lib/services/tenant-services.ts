import { keyOfCertificate } from '../credentials/password-of-secret.js';
import { RotationInProgress } from '../credentials/rotation-errors.js';
import { rotationRunning } from '../credentials/rotation-progress.js';
import { type OwnApp, type SelfManagedApp, selfManagedApp } from '../credentials/self-managed-app.js';
import { addServiceCertificate } from '../credentials/service-certificate.js';
import type { DomainEvent } from '../events/event-catalogue.js';
import { certificateRefusedByPolicy, removeAppCredential, removeCertificateKey } from '../graph/app-keys.js';
import { addPasswordWithinPolicy, removePassword } from '../graph/app-passwords.js';
import type { GraphClient } from '../graph/graph-client.js';
import { type AppCredential, proofIdentity } from '../identity/app-credential.js';
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
import { EntityExistsError } from '../storage/storage-errors.js';
import { TenantNotFound, TenantNotReady } from '../tenants/tenant-errors.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import { isLeaving, servicesOf, type TenantRecord, type TenantService } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import {
  LastServiceRemoval,
  ServiceConflict,
  ServiceLinkUnavailable,
  ServiceNeedsCustomer,
  ServiceNotFound,
  ServiceSecretPending,
  ServiceSecretRefused,
} from './service-errors.js';
import type { ServiceProgress } from './service-progress.js';
import type { AddService, ServiceRemovalView, ServiceView } from './service-schema.js';

export interface TenantServicesDeps {
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
 * Day Two services on an onboarded tenant, each with a secret of its own. The connector adds one to a
 * registration that manages itself (it owns itself and holds Application.ReadWrite.OwnedBy): a new password with
 * the app's own token, its secret straight to Key Vault, proven with a token, then recorded with
 * tenant.service_added. Every step is recorded first (`service|{id}`), so the same request after a crash resumes
 * at the step it stopped at and never leaves a second password behind.
 */
export class TenantServices {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: TenantServicesDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Adds a service: `added` with its secret proven, `unchanged` when the same request had done so, or
   * `awaiting_customer` with a link for the customer's admin when the registration cannot add the secret itself.
   */
  async add(tenantId: string, request: AddService, now = new Date()): Promise<ServiceAddition> {
    const tenant = await this.usableTenant(tenantId);
    const key = tenantRows.service(request.id);
    let progress = await this.deps.progress.get(tenantId, key);
    if (progress && !this.sameRequest(progress.entity, request)) throw new ServiceConflict(request.id);
    const listed = servicesOf(tenant.entity).find((service) => sameId(service.id, request.id));
    if (listed) {
      if (progress?.entity.state === 'active')
        return { outcome: 'unchanged', view: viewOf(tenantId, progress.entity) };
      throw new ServiceConflict(request.id);
    }
    if (progress?.entity.state === 'awaiting_customer')
      return this.awaitCustomer(tenantId, request, progress, now);
    if (progress?.entity.state !== 'stored') {
      let selfManaging: SelfManagedApp;
      try {
        selfManaging = await selfManagedApp(this.deps, tenantId, servicesOf(tenant.entity)[0]?.id ?? '');
      } catch (error) {
        if (error instanceof ServiceNeedsCustomer)
          return this.awaitCustomer(tenantId, request, progress, now);
        throw error;
      }
      const { credential, token, app } = selfManaging;
      progress ??= await this.begin(tenantId, request, 'adding', now);
      progress = await this.addCredential(credential, token, app, progress, now);
    }
    await this.proveAndRecord(tenantId, tenant.entity.clientId, progress, now);
    return { outcome: 'added', view: viewOf(tenantId, progress.entity) };
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
    const tenant = await this.usableTenant(link.tenantId);
    const clientId = tenant.entity.clientId;
    const value = secret.trim();
    if (!value) throw new CredentialProblem('invalid_secret');
    await this.deps.tokens.token({ tenantId: link.tenantId, clientId, secret: value }, { fresh: true });
    const expiresOn = new Date(now.getTime() + customerSecretLifetimeDays * 86_400_000);
    await this.deps.secrets.put({
      tenantId: link.tenantId,
      serviceId: progress.entity.serviceId,
      clientId,
      secret: value,
      expiresOn,
    });
    const stored = await this.save(progress, {
      state: 'stored',
      secretExpiresAt: expiresOn.toISOString(),
      updatedAt: now.toISOString(),
    });
    // Proven just above with a fresh token: recorded at once.
    await this.record(link.tenantId, stored, now);
    return viewOf(link.tenantId, stored.entity);
  }

  /**
   * Removes a service: its password from the app (when the connector can, and knows which one is the service's
   * alone), its Key Vault secret, and the service from the tenant (tenant.service_removed says what the customer's
   * admin must still remove). The last service cannot be removed this way.
   */
  async remove(tenantId: string, serviceId: string, now = new Date()): Promise<ServiceRemovalView> {
    const tenant = await this.deps.registry.get(tenantId);
    if (!tenant || isLeaving(tenant.entity.status)) throw new TenantNotFound(tenantId);
    const services = servicesOf(tenant.entity);
    const service = services.find((candidate) => sameId(candidate.id, serviceId));
    if (!service) throw new ServiceNotFound(serviceId);
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
    const token = await this.deps.links.issue({ tenantId, serviceId: progress.entity.serviceId });
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
    if (progress.entity.state === 'active' || progress.entity.state === 'stored')
      throw new ServiceLinkUnavailable('done');
    if (
      progress.entity.state !== 'awaiting_customer' ||
      Date.parse(progress.entity.linkExpiresAt ?? '') <= now.getTime()
    )
      throw new ServiceLinkUnavailable('expired');
    return { link, progress, tenant };
  }

  private async usableTenant(tenantId: string): Promise<Stored<TenantRecord>> {
    const tenant = await this.deps.registry.get(tenantId);
    if (!tenant || isLeaving(tenant.entity.status)) throw new TenantNotFound(tenantId);
    if (tenant.entity.status === 'credentials_invalid')
      throw new TenantNotReady('its credentials no longer work; reconnect it first');
    return tenant;
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
    progress: Progress,
    now: Date,
  ): Promise<Progress> {
    const { graph } = this.deps;
    const { tenantId, clientId } = current;
    const { serviceId } = progress.entity;
    const name = secretName(serviceId);
    for (const credential of app.passwordCredentials)
      if (credential.displayName === name)
        await removePassword(graph, token.accessToken, app.id, credential.keyId);
    const added = current.certificate
      ? undefined
      : await addPasswordWithinPolicy(graph, token.accessToken, app.id, name, now);
    let stored: TenantCredential;
    if (added)
      stored = {
        tenantId,
        serviceId,
        clientId,
        secret: added.secretText,
        expiresOn: new Date(added.endDateTime),
        keyId: added.keyId,
      };
    else {
      try {
        stored = await addServiceCertificate(
          this.deps,
          token.accessToken,
          app,
          { tenantId, serviceId, clientId },
          current.certificate,
        );
      } catch (error) {
        if (!certificateRefusedByPolicy(error)) throw error;
        await this.deps.certificates.delete(tenantId, serviceId);
        throw new ServiceSecretRefused();
      }
    }
    try {
      await this.deps.secrets.put(stored);
    } catch (error) {
      // Not stored, so of no use to anyone: leave nothing behind.
      const keyId = stored.keyId ?? '';
      await removeAppCredential(
        this.deps,
        token.accessToken,
        app,
        stored.certificate
          ? { keyId, kind: 'certificate', proofBy: stored.certificate }
          : { keyId, kind: 'password' },
      ).catch(() => undefined);
      throw error;
    }
    return this.save(progress, {
      state: 'stored',
      keyId: stored.keyId ?? '',
      secretExpiresAt: stored.expiresOn.toISOString(),
      updatedAt: now.toISOString(),
    });
  }

  /** Proves the stored secret with a fresh token (waiting while it propagates), then records the service. */
  private async proveAndRecord(
    tenantId: string,
    clientId: string,
    progress: Progress,
    now: Date,
  ): Promise<void> {
    const stored = await this.deps.secrets.get(tenantId, progress.entity.serviceId);
    if (!stored) throw new ServiceSecretPending();
    await this.waitUntilWorking({ ...stored, tenantId, clientId });
    await this.record(tenantId, progress, now);
  }

  /** The service recorded on the tenant, its progress made active and the core told, in one transaction. */
  private async record(tenantId: string, progress: Progress, now: Date): Promise<void> {
    const tenant = await this.deps.registry.get(tenantId);
    if (!tenant) throw new TenantNotFound(tenantId);
    const { serviceId, name, licenceType, secretExpiresAt } = progress.entity;
    const events: DomainEvent[] = [
      {
        type: 'tenant.service_added',
        data: { tenantId, serviceId, name, licenceType, secretExpiresAt: secretExpiresAt ?? '' },
      },
    ];
    await this.deps.registry.changeServices(
      tenantId,
      {
        services: [...servicesOf(tenant.entity), { id: serviceId, name, licenceType }],
        etag: tenant.etag,
        alongside: (transaction) =>
          transaction.update(
            { ...progress.entity, state: 'active', updatedAt: now.toISOString() },
            progress.etag,
          ),
        events,
      },
      now,
    );
    progress.entity.state = 'active';
  }

  private async waitUntilWorking(credential: AppCredential): Promise<void> {
    if (!(await secretStartsWorking(this.deps.tokens, credential, this.sleep)))
      throw new ServiceSecretPending();
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
