import { keyIdOfCredential } from '../credentials/password-of-secret.js';
import { type RotationProgress, rotationRunning } from '../credentials/rotation-progress.js';
import { type OwnAppView, ownAppView } from '../credentials/self-managed-app.js';
import { ConnectorError } from '../errors/connector-error.js';
import type { Outbox } from '../events/outbox.js';
import { type AppCredentialToRemove, removeAppCredential } from '../graph/app-keys.js';
import { type GraphClient, GraphError } from '../graph/graph-client.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import type { KeyVaultAssertions } from '../identity/key-vault-assertions.js';
import { offboardingUrl } from '../onboarding/onboarding-urls.js';
import type { ReplicaStore } from '../replication/replica-store.js';
import type { TenantCredential, TenantSecretStore } from '../secrets/tenant-secret-store.js';
import type { SiteProgress } from '../sites/site-progress.js';
import type { CustomerLinks, OffboardingLink } from '../storage/customer-links.js';
import type { Stored } from '../storage/entity-table.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { tableFilter } from '../storage/table-filters.js';
import { TenantNotFound } from '../tenants/tenant-errors.js';
import {
  type TenantTable,
  tenantRowPrefixes,
  tenantRows,
  tenantWorkRows,
} from '../tenants/tenant-partition.js';
import { servicesOf, type TenantRecord } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { passingFault } from '../workflows/passing-faults.js';
import { type StepResult, WorkflowRunner } from '../workflows/workflow-runner.js';
import { OffboardingPageUnavailable, TenantStillOnboarding } from './offboarding-errors.js';
import { type OffboardingPage, type OffboardingProgress, toOffboardingView } from './offboarding-progress.js';

export interface OffboardingJob {
  tenantId: string;
}

export interface TenantOffboardingDeps {
  /** The term of the workflow's lease (its own default when not set). */
  leaseTtlMs?: number;
  registry: TenantRegistry;
  tenants: TenantTable;
  outbox: Outbox;
  secrets: TenantSecretStore;
  tokens: AppTokenProvider;
  graph: GraphClient;
  assertions: KeyVaultAssertions;
  replica: ReplicaStore;
  queue: MessageQueue<OffboardingJob>;
  links: CustomerLinks<OffboardingLink>;
  /** Revokes the tenant's open invitations (reconnect links), so none offers to connect a tenant that left. */
  revokeInvitations: (tenantId: string) => Promise<number>;
  /**
   * Deletes the tenant's Graph change-notification subscriptions while its credentials still work: whether they are
   * gone (false while their workflow is still at it).
   */
  stopChangeNotifications: (tenantId: string) => Promise<boolean>;
  publicBaseUrl: string;
  /** How long a customer's link to the offboarding page works (as invitations do). */
  linkLifetimeDays: number;
}

type Progress = Stored<OffboardingProgress>;

/**
 * What the connector cannot do for good (credentials that no longer work, an app it may not change) is left to the
 * customer; a fault that passes (Key Vault, Entra or Graph not answering now) is thrown, so the queue tries again.
 */
function unlessPassing(error: unknown): undefined {
  if (passingFault(error) !== undefined || !(error instanceof ConnectorError)) throw error;
  return undefined;
}

/** How long an offboarding waits for the tenant's rotations to end before it takes them over, and how often it looks. */
const rotationWaitMs = 30 * 60_000;
const rotationPollMs = 10_000;
/** Replica and feed rows deleted per step, so a slice of work stays short and resumes where it stopped. */
const rowsPerStep = 2_000;
/** Key Vault keeps deleted secrets and certificates this long (the template's soft-delete retention). */
export const vaultRetentionDays = 90;

/**
 * Offboarding a tenant, a durable state machine (see offboarding-progress.ts) driven by the `tenant-offboardings`
 * queue under a lease: the connector's credentials removed from the app while they still work (the app deleted
 * last when asked and the connector may), the Key Vault entries deleted, the replica and feed deleted in slices,
 * then the tenant row made a tombstone with tenant.offboarded, listing what the customer's admin still has to
 * remove. A crash resumes at the step it stopped at.
 */
export class TenantOffboarding {
  /** Drives the offboarding row: its lease, steps, waits, sweep and poisoned messages. */
  readonly runner: WorkflowRunner<OffboardingProgress, OffboardingJob>;

  constructor(private readonly deps: TenantOffboardingDeps) {
    this.runner = new WorkflowRunner<OffboardingProgress, OffboardingJob>(
      {
        name: 'offboarding',
        keys: ({ tenantId }) => ({
          partition: tenantId,
          rowKey: tenantRows.offboarding,
          leaseRowKey: tenantRows.offboardingLease,
        }),
        jobOf: (tenantId) => ({ tenantId }),
        rowPrefix: tenantRows.offboarding,
        working: (row) => row.state !== 'done',
        step: (row, now) => this.step(row.entity.partitionKey, row, now),
        // The data goes while no replication slice can write: its worker's lease is held meanwhile.
        alsoHold: (row) => (row.state === 'vault_cleared' ? tenantRows.replicationLease : undefined),
        leaseTtlMs: deps.leaseTtlMs ?? 30_000,
        sweepAfterMs: 10 * 60_000,
      },
      deps.queue,
      { table: deps.tenants, outbox: deps.outbox },
    );
  }

  /** Starts offboarding (or reports the one under way or done); the caller has it advanced. */
  async start(
    tenantId: string,
    options: { removeRegistration: boolean },
    now = new Date(),
  ): Promise<{ progress: OffboardingProgress; started: boolean }> {
    const existing = await this.progress(tenantId);
    // Onboarded again after an earlier offboarding, and not yet recorded: that offboarding is not the answer.
    if (existing?.state === 'done' && (await this.onboardingUnderWay(tenantId)))
      throw new TenantStillOnboarding();
    if (existing) return { progress: existing, started: false };
    const tenant = await this.deps.registry.get(tenantId);
    if (!tenant) {
      if (await this.onboardingUnderWay(tenantId)) throw new TenantStillOnboarding();
      throw new TenantNotFound(tenantId);
    }
    if (tenant.entity.status === 'offboarded') throw new TenantNotFound(tenantId);
    const at = now.toISOString();
    const row: OffboardingProgress = {
      state: 'started',
      removeRegistration: options.removeRegistration,
      requestedAt: at,
      removed: '[]',
      leftToCustomer: '[]',
      rowsDeleted: 0,
      updatedAt: at,
    };
    const transaction = this.deps.tenants
      .transaction(tenantId)
      .update(
        {
          ...tenant.entity,
          rowKey: tenantRows.tenant,
          status: 'offboarding',
          updatedAt: at,
          statusChangedAt: at,
        },
        tenant.etag,
      )
      .insert({ rowKey: tenantRows.offboarding, ...row });
    try {
      await transaction.commit();
    } catch (error) {
      // Another DELETE started it first (its row exists, or the tenant row changed under ours).
      const raced = await this.progress(tenantId);
      if (raced) return { progress: raced, started: false };
      throw error;
    }
    return { progress: row, started: true };
  }

  /** An admin signed in to onboard the tenant and its registration is being made (not yet recorded). */
  private async onboardingUnderWay(tenantId: string): Promise<boolean> {
    for await (const _ of this.deps.tenants.queryPrefix(tenantId, tenantRowPrefixes.provisionings))
      return true;
    return false;
  }

  /** The tenant's secret rotations under way (their new and old passwords are both on the app meanwhile). */
  private async runningRotations(tenantId: string): Promise<RotationProgress[]> {
    const running: RotationProgress[] = [];
    for await (const { entity } of this.deps.tenants.queryPrefix<RotationProgress>(
      tenantId,
      tenantRowPrefixes.rotations,
    ))
      if (rotationRunning(entity)) running.push(entity);
    return running;
  }

  /** A new link for the customer's admin to the offboarding page (each call gives another). */
  async customerLink(tenantId: string, now = new Date()): Promise<string> {
    const expiresAt = new Date(now.getTime() + this.deps.linkLifetimeDays * 86_400_000).toISOString();
    return offboardingUrl(this.deps.publicBaseUrl, await this.deps.links.issue({ tenantId, expiresAt }));
  }

  /** What the page of a customer's link shows; OffboardingPageUnavailable for an unknown or expired link. */
  async customerView(token: string, now = new Date()): Promise<OffboardingPage> {
    const link = await this.deps.links.find(token);
    if (!link) throw new OffboardingPageUnavailable('unknown');
    if (Date.parse(link.expiresAt) <= now.getTime()) throw new OffboardingPageUnavailable('expired');
    const [tenant, progress] = [
      await this.deps.registry.get(link.tenantId),
      await this.progress(link.tenantId),
    ];
    if (!tenant || !progress) throw new OffboardingPageUnavailable('unknown');
    return {
      tenantId: link.tenantId,
      clientId: tenant.entity.clientId,
      customer: (JSON.parse(tenant.entity.customer) as { name: string }).name,
      offboarding: toOffboardingView(progress, vaultRetentionDays),
    };
  }

  async progress(tenantId: string): Promise<OffboardingProgress | undefined> {
    return (await this.deps.tenants.get(tenantId, tenantRows.offboarding))?.entity;
  }

  enqueue(job: OffboardingJob): Promise<string> {
    return this.runner.enqueue(job);
  }

  /** One step of the offboarding (see offboarding-progress.ts); the runner saves what it returns. */
  private async step(
    tenantId: string,
    progress: Progress,
    now: Date,
  ): Promise<StepResult<OffboardingProgress>> {
    const tenant = await this.deps.registry.get(tenantId);
    if (!tenant) throw new TenantNotFound(tenantId);
    switch (progress.entity.state) {
      case 'started': {
        // A rotation under way removes its old password when it ends: the offboarding waits for it, then takes
        // over one that has not ended in time (its passwords are removed with the rest).
        const rotating = await this.runningRotations(tenantId);
        if (rotating.length > 0 && now.getTime() - Date.parse(progress.entity.requestedAt) < rotationWaitMs)
          return {
            wait: rotationPollMs,
            said: `waiting for the rotation of ${rotating.map((rotation) => rotation.serviceId).join(', ')} to end`,
          };
        if (!(await this.deps.stopChangeNotifications(tenantId)))
          return { wait: rotationPollMs, said: 'waiting for its Graph change notifications to be deleted' };
        return {
          next: {
            state: 'microsoft_cleared',
            ...(await this.clearMicrosoft(tenantId, tenant.entity, progress.entity, rotating)),
          },
        };
      }
      case 'microsoft_cleared': {
        await this.deps.revokeInvitations(tenantId);
        for (const service of servicesOf(tenant.entity)) {
          await this.deps.secrets.delete(tenantId, service.id, 'next');
          await this.deps.secrets.delete(tenantId, service.id);
        }
        return { next: { state: 'vault_cleared' } };
      }
      case 'vault_cleared': {
        const deleted =
          (await this.deps.replica.deleteSome(tenantId, rowsPerStep)) ||
          (await this.deleteWorkRows(tenantId));
        const rowsDeleted = progress.entity.rowsDeleted + deleted;
        return { next: deleted > 0 ? { rowsDeleted } : { state: 'data_deleted' } };
      }
      default:
        return this.finish(tenantId, tenant, progress.entity, now);
    }
  }

  /**
   * The connector's passwords and certificates removed from the app while its credentials still work, and the app
   * itself deleted last when asked and allowed; what it cannot do goes to the customer's list.
   */
  private async clearMicrosoft(
    tenantId: string,
    tenant: TenantRecord,
    progress: OffboardingProgress,
    rotating: readonly RotationProgress[],
  ): Promise<Pick<OffboardingProgress, 'removed' | 'leftToCustomer'>> {
    const removed: string[] = [];
    const left: string[] = [];
    const services = servicesOf(tenant);
    let view: OwnAppView | undefined;
    for (const service of services) {
      view = await ownAppView(this.deps, tenantId, service.id).catch(unlessPassing);
      if (view) break;
    }
    if (!view?.app || !view.canChange) {
      left.push(
        `the app registration ${tenant.clientId} (the connector could not change it: remove its passwords and certificates named "Live Platform service …", or delete it)`,
      );
    } else if (progress.removeRegistration) {
      await this.deleteApp(view, view.app.id);
      removed.push(`the app registration ${tenant.clientId} (Entra keeps it restorable for 30 days)`);
    } else {
      const app = view.app;
      const credentials: TenantCredential[] = [];
      for (const service of services) {
        const credential = await this.deps.secrets.get(tenantId, service.id).catch(unlessPassing);
        if (credential) credentials.push(credential);
      }
      for (const service of services) {
        const credential = credentials.find((candidate) => candidate.serviceId === service.id);
        const keyId = credential && keyIdOfCredential(credential, app, service.id);
        if (!keyId) {
          left.push(`the password of service ${service.id} (the connector could not tell which one it is)`);
          continue;
        }
        // A certificate's removal is proven by itself: it is still on the app until this call.
        await removeAppCredential(
          this.deps,
          view.token.accessToken,
          app,
          credential.certificate
            ? { keyId, kind: 'certificate', proofBy: credential.certificate }
            : { keyId, kind: 'password' },
        );
        removed.push(`the ${credential?.certificate ? 'certificate' : 'password'} of service ${service.id}`);
      }
      for (const rotation of rotating) {
        const credential = credentials.find((candidate) => candidate.serviceId === rotation.serviceId);
        for (const keyId of [rotation.newKeyId, rotation.oldKeyId]) {
          if (!keyId || keyId === (credential && keyIdOfCredential(credential, app, rotation.serviceId)))
            continue;
          const proofBy = credential?.certificate;
          const found: AppCredentialToRemove | undefined = app.passwordCredentials.some(
            (candidate) => candidate.keyId === keyId,
          )
            ? { keyId, kind: 'password' }
            : proofBy && (app.keyCredentials ?? []).some((candidate) => candidate.keyId === keyId)
              ? { keyId, kind: 'certificate', proofBy }
              : undefined;
          if (!found) continue;
          await removeAppCredential(this.deps, view.token.accessToken, app, found);
          removed.push(`a ${found.kind} of the unfinished rotation of service ${rotation.serviceId}`);
        }
      }
      left.push(
        `the app registration ${tenant.clientId} itself, kept because the offboarding did not ask to delete it (removeRegistration); onboarding this tenant again reuses it`,
      );
    }
    left.push(
      `the directory roles assigned to the app registration ${tenant.clientId} (Teams Administrator, and Domain Name Administrator and User Administrator if given for sites)`,
      'the Enterprise application of the provisioning app ("Live Platform Provisioning") the admin signed in with, if no other tenant of yours uses it',
    );
    for (const site of await this.sites(tenantId))
      left.push(
        `the site ${site.siteId}: the domain ${site.domain} and its activation user ${site.userPrincipalName}, when the platform no longer uses them`,
      );
    return { removed: JSON.stringify(removed), leftToCustomer: JSON.stringify(left) };
  }

  /** The tenant's work rows in its partition (see tenantWorkRows), up to `rowsPerStep`; how many went. */
  private async deleteWorkRows(tenantId: string): Promise<number> {
    const keys = [
      ...tenantWorkRows.exact.map((key) => tableFilter.rowKey(key)),
      ...tenantWorkRows.prefixes.map((prefix) => tableFilter.rowKeysStartingWith(prefix)),
    ];
    const filter = tableFilter.and(tableFilter.partition(tenantId), `(${keys.join(' or ')})`);
    return this.deps.tenants.deleteWhere(filter, rowsPerStep);
  }

  private async deleteApp(view: OwnAppView, appObjectId: string): Promise<void> {
    try {
      await this.deps.graph.request(view.token.accessToken, 'DELETE', `/applications/${appObjectId}`);
    } catch (error) {
      if (!(error instanceof GraphError && error.status === 404)) throw error;
    }
  }

  private async sites(tenantId: string): Promise<SiteProgress[]> {
    const sites: SiteProgress[] = [];
    for await (const row of this.deps.tenants.queryPrefix<SiteProgress>(tenantId, tenantRowPrefixes.sites))
      sites.push(row.entity);
    return sites;
  }

  /** The tombstone and tenant.offboarded, with the offboarding's record, in one transaction. */
  private finish(
    tenantId: string,
    tenant: Stored<TenantRecord>,
    progress: OffboardingProgress,
    now: Date,
  ): StepResult<OffboardingProgress> {
    const at = now.toISOString();
    return {
      next: { state: 'done', finishedAt: at },
      alongside: (transaction) =>
        transaction.update(
          {
            ...tenant.entity,
            rowKey: tenantRows.tenant,
            status: 'offboarded',
            updatedAt: at,
            statusChangedAt: at,
          },
          tenant.etag,
        ),
      events: [
        {
          type: 'tenant.offboarded',
          data: {
            tenantId,
            removed: JSON.parse(progress.removed) as string[],
            leftToCustomer: JSON.parse(progress.leftToCustomer) as string[],
            vaultRetentionDays,
          },
        },
      ],
    };
  }
}
