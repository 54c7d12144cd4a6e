import { ConnectorError } from '../errors/connector-error.js';
import type { Logger } from '../hosting/logger.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import { tableFilter } from '../storage/table-filters.js';
import { connectorMetrics } from '../telemetry/connector-metrics.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import { servicesOf, type TenantRecord } from '../tenants/tenant-record.js';
import type { CredentialRotation } from './credential-rotation.js';
import type { ExpiryWarnings } from './expiry-warnings.js';
import { passwordOfSecret } from './password-of-secret.js';
import { rotationRunning } from './rotation-progress.js';
import { type OwnAppView, ownAppView, type SelfManagedAppDeps } from './self-managed-app.js';

export interface CredentialCheckDeps extends SelfManagedAppDeps {
  tenants: TenantTable;
  secrets: TenantSecretStore;
  rotation: CredentialRotation;
  warnings: ExpiryWarnings;
  rotateBeforeDays: number;
}

export interface CredentialCheckResult {
  checked: number;
  rotating: number;
  resumed: number;
  warned: number;
  /** Services whose Key Vault expiry was corrected to what Entra says. */
  corrected: number;
}

/** Key Vault's expiry differing from Entra's by more than this is corrected. */
const expiryToleranceMs = 60_000;

/**
 * The daily look at every service's secret. Its end is what Entra says of the app's password when the registration
 * can read itself (Key Vault's copy is corrected to it), else Key Vault's. A secret the connector can renew (the
 * registration changes itself) with fewer than `rotateBeforeDays` left is rotated; one only the customer can renew
 * (or whose last rotation failed) gets the expiry warnings; a rotation a lost message left is taken up again.
 */
export class CredentialCheck {
  constructor(private readonly deps: CredentialCheckDeps) {}

  async run(log: Logger, now = new Date()): Promise<CredentialCheckResult> {
    const result: CredentialCheckResult = { checked: 0, rotating: 0, resumed: 0, warned: 0, corrected: 0 };
    for await (const { entity } of this.deps.tenants.query<TenantRecord>(
      tableFilter.rowKey(tenantRows.tenant),
    )) {
      if (entity.status !== 'active' && entity.status !== 'action_required') continue;
      for (const service of servicesOf(entity)) {
        result.checked += 1;
        try {
          await this.checkService(entity.partitionKey, service.id, result, now);
        } catch (error) {
          // The tenant cannot be reached now (its credentials, Key Vault): the next check looks again.
          if (!(error instanceof ConnectorError)) throw error;
          log.info(`credential check: ${entity.partitionKey}/${service.id} not checked: ${error.code}`);
        }
      }
    }
    return result;
  }

  private async checkService(
    tenantId: string,
    serviceId: string,
    result: CredentialCheckResult,
    now: Date,
  ): Promise<void> {
    const progress = await this.deps.rotation.progress(tenantId, serviceId);
    if (rotationRunning(progress)) {
      await this.deps.rotation.runner.enqueue({ tenantId, serviceId });
      result.resumed += 1;
      return;
    }
    const own = await ownAppView(this.deps, tenantId, serviceId);
    const expiresOn = await this.expiry(own, serviceId, result);
    const daysLeft = (expiresOn.getTime() - now.getTime()) / 86_400_000;
    connectorMetrics.credentialDaysLeft(
      tenantId,
      serviceId,
      own.canChange ? 'connector' : 'customer',
      daysLeft,
    );
    let refused = false;
    if (own.canChange && daysLeft < this.deps.rotateBeforeDays) {
      try {
        await this.deps.rotation.start(tenantId, serviceId, 'expiring', now);
        await this.deps.rotation.runner.enqueue({ tenantId, serviceId });
        result.rotating += 1;
      } catch (error) {
        if (!(error instanceof ConnectorError)) throw error;
        refused = true;
      }
    }
    // The connector renews it, unless it may not or its last try failed: then the customer hears of it too.
    if (own.canChange && !refused && progress?.state !== 'failed') return;
    const warned = await this.deps.warnings.warnIfDue(
      {
        tenantId,
        serviceId,
        clientId: own.credential.clientId,
        expiresOn,
        certificate: Boolean(own.credential.certificate),
      },
      now,
    );
    if (warned) result.warned += 1;
  }

  /** Entra's end of the service's password when the app can read itself (correcting Key Vault's), else Key Vault's. */
  private async expiry(own: OwnAppView, serviceId: string, result: CredentialCheckResult): Promise<Date> {
    const { credential } = own;
    const password = own.app && passwordOfSecret(credential, own.app, serviceId);
    if (!password?.endDateTime) return credential.expiresOn;
    const entraEnd = new Date(password.endDateTime);
    if (Math.abs(entraEnd.getTime() - credential.expiresOn.getTime()) > expiryToleranceMs) {
      await this.deps.secrets.put({ ...credential, expiresOn: entraEnd, keyId: password.keyId });
      result.corrected += 1;
    }
    return entraEnd;
  }
}
