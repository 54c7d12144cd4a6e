import { ConnectorError } from '../errors/connector-error.js';
import type { Logger } from '../hosting/logger.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { tableFilter } from '../storage/table-filters.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import { servicesOf, type TenantRecord } from '../tenants/tenant-record.js';
import type { CredentialRotation } from './credential-rotation.js';
import { rotationRunning } from './rotation-progress.js';

/** One rotation to advance: a message on the `credential-rotations` queue. */
export interface RotationJob {
  tenantId: string;
  serviceId: string;
}

export interface CredentialCheckDeps {
  tenants: TenantTable;
  secrets: TenantSecretStore;
  rotation: CredentialRotation;
  queue: MessageQueue<RotationJob>;
  rotateBeforeDays: number;
}

/**
 * The daily look at every service's secret: one the connector can renew (the registration manages itself) with
 * fewer than `rotateBeforeDays` left is rotated; a rotation a lost message left unfinished is taken up again.
 */
export class CredentialCheck {
  constructor(private readonly deps: CredentialCheckDeps) {}

  async run(log: Logger, now = new Date()): Promise<{ checked: number; rotating: number; resumed: number }> {
    let checked = 0;
    let rotating = 0;
    let resumed = 0;
    for await (const { entity } of this.deps.tenants.query<TenantRecord>(
      tableFilter.rowKey(tenantRows.tenant),
    )) {
      if (entity.status !== 'active' && entity.status !== 'action_required') continue;
      const tenantId = entity.partitionKey;
      for (const service of servicesOf(entity)) {
        checked += 1;
        const progress = await this.deps.rotation.progress(tenantId, service.id);
        if (rotationRunning(progress)) {
          await this.deps.queue.send({ tenantId, serviceId: service.id });
          resumed += 1;
          continue;
        }
        const credential = await this.deps.secrets.get(tenantId, service.id);
        if (!credential) continue;
        const daysLeft = (credential.expiresOn.getTime() - now.getTime()) / 86_400_000;
        if (daysLeft >= this.deps.rotateBeforeDays) continue;
        try {
          await this.deps.rotation.start(tenantId, service.id, 'expiring', now);
          await this.deps.queue.send({ tenantId, serviceId: service.id });
          rotating += 1;
        } catch (error) {
          // Not the connector's to renew (or the tenant cannot be reached now): the next check looks again.
          if (!(error instanceof ConnectorError)) throw error;
          log.info(`credential check: ${tenantId}/${service.id} not rotated: ${error.code}`);
        }
      }
    }
    return { checked, rotating, resumed };
  }

  enqueue(job: RotationJob): Promise<string> {
    return this.deps.queue.send(job);
  }

  /** Advances one rotation; comes back on the queue when it has to wait. */
  async advance(job: RotationJob): Promise<string> {
    const step = await this.deps.rotation.advance(job.tenantId, job.serviceId);
    if (step.waitMs !== undefined)
      await this.deps.queue.send(job, {
        visibilityDelaySeconds: Math.min(Math.ceil(step.waitMs / 1000), 3600),
      });
    return step.state;
  }
}
