import { ulid } from 'ulid';
import type { DomainEvent } from '../events/event-catalogue.js';
import type { Outbox } from '../events/outbox.js';
import { removeAppCredential, removeCertificateKey } from '../graph/app-keys.js';
import { removePassword } from '../graph/app-passwords.js';
import type { GraphClient } from '../graph/graph-client.js';
import { proofIdentity } from '../identity/app-credential.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { mayBePropagating } from '../identity/credential-problem.js';
import type { KeyVaultAssertions } from '../identity/key-vault-assertions.js';
import { secretName } from '../onboarding/registration-names.js';
import type { TenantCertificates } from '../secrets/tenant-certificates.js';
import type { TenantCredential, TenantSecretStore } from '../secrets/tenant-secret-store.js';
import { ServiceNotFound } from '../services/service-errors.js';
import type { Stored } from '../storage/entity-table.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { ConcurrencyError, EntityExistsError } from '../storage/storage-errors.js';
import { usableTenant } from '../tenants/tenant-access.js';
import { type TenantTable, tenantRowPrefixes, tenantRows } from '../tenants/tenant-partition.js';
import { servicesOf } from '../tenants/tenant-record.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { type StepResult, WorkflowRunner } from '../workflows/workflow-runner.js';
import { keyIdOfCredential } from './password-of-secret.js';
import { RotationInProgress } from './rotation-errors.js';
import { type RotationJob, type RotationProgress, rotationRunning } from './rotation-progress.js';
import { type OwnApp, type SelfManagedApp, selfManagedApp } from './self-managed-app.js';
import {
  addServiceCredential,
  CredentialRefusedByPolicy,
  storeServiceCredential,
} from './service-credential.js';

export interface CredentialRotationDeps {
  /** The term of the workflow's lease (its own default when not set). */
  leaseTtlMs?: number;
  registry: TenantRegistry;
  /** The `Tenants` table: a rotation's progress and its lease are in the tenant's partition. */
  tenants: TenantTable;
  outbox: Outbox;
  secrets: TenantSecretStore;
  certificates: TenantCertificates;
  assertions: KeyVaultAssertions;
  tokens: AppTokenProvider;
  graph: GraphClient;
  /** How long an instance may keep a secret it read (SECRET_CACHE_SECONDS): the old password outlives the switch by it. */
  secretCacheMs: number;
  /** The `credential-rotations` queue that drives the rotations. */
  queue: MessageQueue<RotationJob>;
}

type Progress = Stored<RotationProgress>;

/** Beyond the cache term, for token requests already in flight with the old secret. */
const switchMarginMs = 10_000;
/** Why a rotation stops when the tenant was reconnected while it ran. */
const supersededFailure =
  'the tenant was reconnected during the rotation: the credentials the reconnect stored are in use, so this rotation stopped';
const proofRetryMs = 15_000;
/** How long a new secret may take to work before the rotation gives up on it. */
const propagationLimitMs = 30 * 60_000;

/**
 * Rotating one service's secret without downtime, for a registration that manages itself. Each step is recorded
 * before the next begins, so a crash resumes at the step it stopped at: a new password, its secret staged in Key
 * Vault under the service's `-next` name (nothing uses it yet), proven with a token (retried while it propagates),
 * made the service's current secret, then the old password removed once no instance can still hold it. The old
 * secret is never removed before the new one is proven and current; a lease keeps two rotations of one service
 * from running at once.
 */
export class CredentialRotation {
  /** Drives the rotation rows: lease, steps, waits (propagation, the switch's term), poisoned messages. */
  readonly runner: WorkflowRunner<RotationProgress, RotationJob>;

  constructor(private readonly deps: CredentialRotationDeps) {
    this.runner = new WorkflowRunner<RotationProgress, RotationJob>(
      {
        name: 'rotation',
        keys: ({ tenantId, serviceId }) => ({
          partition: tenantId,
          rowKey: tenantRows.rotation(serviceId),
          leaseRowKey: tenantRows.rotationLease(serviceId),
        }),
        jobOf: (tenantId, row) => ({ tenantId, serviceId: row.serviceId }),
        rowPrefix: tenantRowPrefixes.rotations,
        working: (row) => rotationRunning(row),
        step: (row, now) => this.step(row.entity.partitionKey, row, now),
        // Renewed every quarter while a rotation advances, so a dead worker holds its service up at most this long.
        leaseTtlMs: deps.leaseTtlMs ?? 30_000,
        sweepAfterMs: 10 * 60_000,
      },
      deps.queue,
      { table: deps.tenants, outbox: deps.outbox },
    );
  }

  private get switchWaitMs(): number {
    return this.deps.secretCacheMs + switchMarginMs;
  }

  /** Starts a rotation (RotationInProgress while one runs); the caller then has it advanced. */
  async start(
    tenantId: string,
    serviceId: string,
    reason: RotationProgress['reason'],
    now = new Date(),
  ): Promise<RotationProgress> {
    const tenant = await usableTenant(this.deps.registry, tenantId);
    const service = servicesOf(tenant.entity).find(
      (candidate) => candidate.id.toLowerCase() === serviceId.toLowerCase(),
    );
    if (!service) throw new ServiceNotFound(serviceId);
    const key = tenantRows.rotation(service.id);
    const previous = await this.deps.tenants.get(tenantId, key);
    if (rotationRunning(previous?.entity)) throw new RotationInProgress(service.id);
    const { credential, app } = await selfManagedApp(this.deps, tenantId, service.id);
    // A password another service uses too stays: removing it would break that service.
    const shared = await this.sharedWithOthers(
      tenantId,
      servicesOf(tenant.entity),
      service.id,
      proofIdentity(credential),
    );
    const oldKeyId = shared ? undefined : keyIdOfCredential(credential, app, service.id);
    const at = now.toISOString();
    const row: RotationProgress = {
      serviceId: service.id,
      rotationId: ulid(now.getTime()),
      state: 'started',
      reason,
      ...(oldKeyId ? { oldKeyId } : {}),
      startedAt: at,
      updatedAt: at,
    };
    try {
      if (previous)
        await this.deps.tenants.update({ partitionKey: tenantId, rowKey: key, ...row }, previous.etag);
      else await this.deps.tenants.insert({ partitionKey: tenantId, rowKey: key, ...row });
    } catch (error) {
      if (error instanceof EntityExistsError || error instanceof ConcurrencyError)
        throw new RotationInProgress(service.id);
      throw error;
    }
    return row;
  }

  private async sharedWithOthers(
    tenantId: string,
    services: { id: string }[],
    serviceId: string,
    secret: string,
  ): Promise<boolean> {
    for (const other of services) {
      if (other.id === serviceId) continue;
      const theirs = await this.deps.secrets.get(tenantId, other.id);
      if (theirs && proofIdentity(theirs) === secret) return true;
    }
    return false;
  }

  /** The earliest a rotation under way can end: the old secret outlives the switch by the cache's term. */
  finishesNotBefore(progress: RotationProgress, now = new Date()): Date {
    const switched = Date.parse(progress.switchedAt ?? '');
    return new Date((Number.isNaN(switched) ? now.getTime() : switched) + this.switchWaitMs);
  }

  async progress(tenantId: string, serviceId: string): Promise<RotationProgress | undefined> {
    return (await this.deps.tenants.get(tenantId, tenantRows.rotation(serviceId)))?.entity;
  }

  private async step(tenantId: string, progress: Progress, now: Date): Promise<StepResult<RotationProgress>> {
    const { serviceId } = progress.entity;
    switch (progress.entity.state) {
      case 'started':
        return this.stage(tenantId, progress, now);
      case 'staged':
        return this.prove(tenantId, progress, now);
      case 'proven': {
        if (await this.supersededBy(tenantId, progress.entity, progress.entity.oldKeyId))
          return this.fail(tenantId, progress, supersededFailure, now);
        const next = await this.deps.secrets.get(tenantId, serviceId, 'next');
        if (!next) return { next: { state: 'started' } };
        await this.deps.secrets.put(next);
        this.deps.secrets.forget(tenantId, serviceId);
        return { next: { state: 'switched', switchedAt: now.toISOString() } };
      }
      default: {
        const due = Date.parse(progress.entity.switchedAt ?? '') + this.switchWaitMs;
        if (now.getTime() < due)
          return { wait: due - now.getTime(), said: 'the old secret stays until no instance can hold it' };
        return this.finish(tenantId, progress, now);
      }
    }
  }

  /**
   * A new credential staged under `-next`: a new password, or a new version of the service's Key Vault certificate
   * added to the app (for a service on a certificate, or when the tenant's policy refuses new secrets). One an
   * earlier attempt left unstaged is removed first.
   */
  private async stage(
    tenantId: string,
    progress: Progress,
    now: Date,
  ): Promise<StepResult<RotationProgress>> {
    const { serviceId, oldKeyId } = progress.entity;
    const { credential, token, app } = await this.selfManaged(tenantId, serviceId);
    const staged = await this.deps.secrets.get(tenantId, serviceId, 'next');
    const adoptable =
      staged?.keyId && staged.keyId !== oldKeyId && hasCredential(app, staged.keyId) ? staged : undefined;
    if (adoptable) return this.staged(adoptable, now);
    const name = secretName(serviceId);
    // Only while the credential in use is known can a same-named one be told apart as an earlier attempt's.
    const inUse = oldKeyId ?? credential.keyId;
    if (inUse) {
      const leftover = (key: { keyId: string; displayName?: string | null }) =>
        key.displayName === name && key.keyId !== inUse && key.keyId !== credential.keyId;
      for (const password of app.passwordCredentials.filter(leftover))
        await removePassword(this.deps.graph, token.accessToken, app.id, password.keyId);
      if (credential.certificate)
        for (const key of (app.keyCredentials ?? []).filter(leftover))
          await removeCertificateKey(this.deps, token.accessToken, app, key.keyId, credential.certificate);
    }
    let next: TenantCredential;
    try {
      next = await addServiceCredential(this.deps, token.accessToken, app, credential, {
        certificate: Boolean(credential.certificate),
        proofBy: credential.certificate,
        // A service moving off a refused secret leaves no certificate behind; one on certificates keeps its own.
        hadCertificate: Boolean(credential.certificate),
        now,
      });
    } catch (error) {
      if (!(error instanceof CredentialRefusedByPolicy)) throw error;
      return this.fail(
        tenantId,
        progress,
        `the tenant’s app management policy refuses new client secrets and the new certificate (${error.graphCode})`,
        now,
      );
    }
    await storeServiceCredential(this.deps, token.accessToken, app, next, {
      stage: 'next',
      proofBy: credential.certificate ?? next.certificate,
    });
    return this.staged(next, now);
  }

  /**
   * Removes one of the app's credentials by key id: a password, or a certificate, proven by another current
   * certificate among `holders` where there is one, else by itself.
   */
  private async removeCredential(
    token: string,
    app: OwnApp,
    keyId: string,
    ...holders: (TenantCredential | undefined)[]
  ): Promise<void> {
    if (app.passwordCredentials.some((password) => password.keyId === keyId))
      return removeAppCredential(this.deps, token, app, { keyId, kind: 'password' });
    if (!(app.keyCredentials ?? []).some((key) => key.keyId === keyId)) return;
    const withCertificate = holders.filter((holder) => holder?.certificate);
    const proofBy = (withCertificate.find((holder) => holder?.keyId !== keyId) ?? withCertificate[0])
      ?.certificate;
    if (proofBy) await removeAppCredential(this.deps, token, app, { keyId, kind: 'certificate', proofBy });
  }

  private staged(next: TenantCredential, now: Date): StepResult<RotationProgress> {
    return {
      next: {
        state: 'staged',
        newKeyId: next.keyId ?? '',
        newExpiresAt: next.expiresOn.toISOString(),
        stagedAt: now.toISOString(),
      },
    };
  }

  /** A fresh token with the staged secret; while it propagates, come back; past the limit, give up on it. */
  private async prove(
    tenantId: string,
    progress: Progress,
    now: Date,
  ): Promise<StepResult<RotationProgress>> {
    const next = await this.deps.secrets.get(tenantId, progress.entity.serviceId, 'next');
    if (!next) return { next: { state: 'started' } };
    try {
      await this.deps.tokens.token(next, { fresh: true });
    } catch (error) {
      if (!mayBePropagating(error)) throw error;
      if (now.getTime() - Date.parse(progress.entity.stagedAt ?? '') < propagationLimitMs)
        return { wait: proofRetryMs, said: 'the new secret does not work yet (Entra is propagating it)' };
      return this.fail(tenantId, progress, 'the new secret never started to work', now);
    }
    return { next: { state: 'proven' } };
  }

  /**
   * Whether the service's current credential is no longer the one the rotation expects (`expected`: the old one
   * before the switch, its own after): a reconnect replaced it meanwhile, and the rotation must not switch to or
   * report a secret nobody uses. Unknown when the rotation could not tell its old password (nothing to compare).
   */
  private async supersededBy(
    tenantId: string,
    progress: RotationProgress,
    expected: string | undefined,
  ): Promise<boolean> {
    if (!expected) return false;
    const current = await this.deps.secrets.get(tenantId, progress.serviceId);
    if (!current) return false;
    // The rotation's own new credential is no stranger: a worker that died between making it current and
    // recording the switch left it there.
    const ours = (keyId: string | undefined) => keyId === expected || keyId === progress.newKeyId;
    if (current.keyId) return !ours(current.keyId);
    // A secret stored without its key id (one an admin entered): which password it is, the app tells.
    const { app } = await this.selfManaged(tenantId, progress.serviceId);
    return !ours(keyIdOfCredential(current, app, progress.serviceId));
  }

  /** The old password removed, the staged copy deleted, and the rotation recorded with credentials.rotated. */
  private async finish(
    tenantId: string,
    progress: Progress,
    now: Date,
  ): Promise<StepResult<RotationProgress>> {
    const { serviceId, oldKeyId, newKeyId } = progress.entity;
    if (oldKeyId && oldKeyId !== newKeyId) {
      const { credential, token, app } = await this.selfManaged(tenantId, serviceId);
      await this.removeCredential(token.accessToken, app, oldKeyId, credential);
    }
    await this.deps.secrets.delete(tenantId, serviceId, 'next');
    // Reconnected after the switch: the old password went all the same, but the secret in use is not this one.
    if (await this.supersededBy(tenantId, progress.entity, newKeyId))
      return this.end(
        { state: 'failed', failure: supersededFailure },
        [{ type: 'credentials.rotation_failed', data: { tenantId, serviceId, reason: supersededFailure } }],
        now,
      );
    return this.end(
      { state: 'done' },
      [
        {
          type: 'credentials.rotated',
          data: {
            tenantId,
            serviceId,
            expiresAt: progress.entity.newExpiresAt ?? '',
            oldSecretRemoved: Boolean(oldKeyId && oldKeyId !== newKeyId),
          },
        },
      ],
      now,
    );
  }

  /** Gives up: the new password (if any) removed and its staged secret deleted; the old one stays in use. */
  private async fail(
    tenantId: string,
    progress: Progress,
    failure: string,
    now: Date,
  ): Promise<StepResult<RotationProgress>> {
    const { serviceId, newKeyId } = progress.entity;
    if (newKeyId) {
      const { credential, token, app } = await this.selfManaged(tenantId, serviceId);
      const staged = await this.deps.secrets.get(tenantId, serviceId, 'next');
      await this.removeCredential(token.accessToken, app, newKeyId, credential, staged);
    }
    await this.deps.secrets.delete(tenantId, serviceId, 'next');
    return this.end(
      { state: 'failed', failure },
      [{ type: 'credentials.rotation_failed', data: { tenantId, serviceId, reason: failure } }],
      now,
    );
  }

  /** The rotation's end: its record, and the event for the core in the same transaction (the runner commits both). */
  private end(
    changes: Partial<RotationProgress>,
    events: DomainEvent[],
    now: Date,
  ): StepResult<RotationProgress> {
    return { next: { ...changes, finishedAt: now.toISOString() }, events };
  }

  /** The registration reached with the service's current secret (or, mid-rotation, whichever works). */
  private selfManaged(tenantId: string, serviceId: string): Promise<SelfManagedApp> {
    return selfManagedApp(this.deps, tenantId, serviceId);
  }
}

const hasCredential = (app: OwnApp, keyId: string) =>
  app.passwordCredentials.some((password) => password.keyId === keyId) ||
  (app.keyCredentials ?? []).some((key) => key.keyId === keyId);
