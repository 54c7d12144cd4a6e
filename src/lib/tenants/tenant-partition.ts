import type { ExpiryWarningRow } from '../credentials/expiry-warning-row.js';
import type { RotationProgress } from '../credentials/rotation-progress.js';
import type { OutboxRow } from '../events/outbox.js';
import type { OffboardingProgress } from '../offboarding/offboarding-progress.js';
import type { ProvisioningProgress } from '../onboarding/automatic/app-registration.js';
import type { ReplicationRunRecord, ReplicationState } from '../replication/replication-run.js';
import type { SavedIdsKind, SavedIdsRow } from '../replication/run-saved-ids.js';
import type { ServiceProgress } from '../services/service-progress.js';
import type { SiteProgress } from '../sites/site-progress.js';
import { type EntityTable, rowKey } from '../storage/entity-table.js';
import type { LeaseRow } from '../storage/partition-lease.js';
import type { TenantRecord } from './tenant-record.js';

/**
 * One tenant's partition of the `Tenants` table (partition key = tenant id): every row kind it holds, and the
 * only place their keys are spelled. Rows that must change together (a state and the event that reports it)
 * live here so one transaction can write them.
 *
 * | row key                            | what                                                      | owner                 |
 * |------------------------------------|-----------------------------------------------------------|-----------------------|
 * | `tenant`                           | the tenant: status, services, last validation             | TenantRegistry        |
 * | `event\|{ulid}`                    | an event to the core (the outbox), in order               | Outbox                |
 * | `dispatch-lease`                   | the event dispatcher's lease on this stream               | EventDispatcher       |
 * | `run\|{runId}`                     | a replication run: where it is, what it did               | replication           |
 * | `replication`                      | delta links, the feed base, the run replicating now       | ReplicationSlice      |
 * | `replication-lease`                | the replication worker's lease                            | ReplicationWorker     |
 * | `listed\|{runId}\|{phase}\|{page}`   | what a whole list showed so far in a run                | RunSavedIds           |
 * | `deferred\|{runId}\|{phase}\|{page}` | removals a phase holds back until it ends              | RunSavedIds           |
 * | `provisioning\|{invitationId}`     | how far automatic registration got for an invitation      | AppRegistration       |
 * | `service\|{serviceId}`             | how far adding a service got                              | TenantServices        |
 * | `service-lease\|{serviceId}`       | the lease that keeps two workers off one service's adding | TenantServices        |
 * | `rotation\|{serviceId}`            | a service's secret rotation (the last one stays)          | CredentialRotation    |
 * | `rotation-lease\|{serviceId}`      | the lease that keeps two rotations of a service apart     | CredentialRotation    |
 * | `expiry-warning\|{serviceId}`      | the last expiry warning sent for the service's secret     | ExpiryWarnings        |
 * | `site\|{siteId}`                   | a site: its sub-domain, activation user, step             | TenantSites           |
 * | `site-lease\|{siteId}`             | the lease that keeps two workers off one site             | TenantSites           |
 * | `offboarding`                      | the tenant's offboarding: its step, what went, what is left | TenantOffboarding   |
 * | `offboarding-lease`                | the lease that keeps two workers off one offboarding      | TenantOffboarding     |
 */
export type TenantPartitionRow =
  | TenantRecord
  | OutboxRow
  | LeaseRow
  | ReplicationRunRecord
  | ReplicationState
  | SavedIdsRow
  | ProvisioningProgress
  | ServiceProgress
  | RotationProgress
  | ExpiryWarningRow
  | SiteProgress
  | OffboardingProgress;

/** The `Tenants` table, opened once with every row kind it holds. */
export type TenantTable = EntityTable<TenantPartitionRow>;

/** The key of each row kind in a tenant's partition. */
export const tenantRows = {
  tenant: rowKey<TenantRecord>('tenant'),
  event: (ulid: string) => rowKey<OutboxRow>(`event|${ulid}`),
  dispatchLease: rowKey<LeaseRow>('dispatch-lease'),
  run: (runId: string) => rowKey<ReplicationRunRecord>(`run|${runId}`),
  replicationState: rowKey<ReplicationState>('replication'),
  replicationLease: rowKey<LeaseRow>('replication-lease'),
  savedIds: (kind: SavedIdsKind, runId: string, phase: string, page: number) =>
    rowKey<SavedIdsRow>(`${kind}|${runId}|${phase}|${String(page).padStart(8, '0')}`),
  provisioning: (invitationId: string) => rowKey<ProvisioningProgress>(`provisioning|${invitationId}`),
  /** Keyed by the lower-cased id: service ids are unique in a tenant whatever their case. */
  service: (serviceId: string) => rowKey<ServiceProgress>(`service|${serviceId.toLowerCase()}`),
  serviceLease: (serviceId: string) => rowKey<LeaseRow>(`service-lease|${serviceId.toLowerCase()}`),
  rotation: (serviceId: string) => rowKey<RotationProgress>(`rotation|${serviceId.toLowerCase()}`),
  rotationLease: (serviceId: string) => rowKey<LeaseRow>(`rotation-lease|${serviceId.toLowerCase()}`),
  expiryWarning: (serviceId: string) => rowKey<ExpiryWarningRow>(`expiry-warning|${serviceId.toLowerCase()}`),
  /** Keyed by the lower-cased id, as services are. */
  site: (siteId: string) => rowKey<SiteProgress>(`site|${siteId.toLowerCase()}`),
  siteLease: (siteId: string) => rowKey<LeaseRow>(`site-lease|${siteId.toLowerCase()}`),
  offboarding: rowKey<OffboardingProgress>('offboarding'),
  offboardingLease: rowKey<LeaseRow>('offboarding-lease'),
};

/** Key prefixes that select one row kind (for `queryPrefix` and the filters of `tableFilter`). */
export const tenantRowPrefixes = {
  events: rowKey<OutboxRow>('event|'),
  runs: rowKey<ReplicationRunRecord>('run|'),
  savedIds: (kind: SavedIdsKind) => rowKey<SavedIdsRow>(`${kind}|`),
  savedIdsOf: (kind: SavedIdsKind, runId: string, phase: string) =>
    rowKey<SavedIdsRow>(`${kind}|${runId}|${phase}|`),
  rotations: rowKey<RotationProgress>('rotation|'),
  sites: rowKey<SiteProgress>('site|'),
  provisionings: rowKey<ProvisioningProgress>('provisioning|'),
  services: rowKey<ServiceProgress>('service|'),
  expiryWarnings: rowKey<ExpiryWarningRow>('expiry-warning|'),
};

/**
 * Rows of a tenant's work (replication state and runs, saved ids, provisioning, services, rotations, warnings,
 * sites): deleted with its data at offboarding. The tenant row, its offboarding, its outbox and leases stay.
 */
export const tenantWorkRows = {
  exact: [tenantRows.replicationState],
  prefixes: [
    tenantRowPrefixes.runs,
    tenantRowPrefixes.savedIds('listed'),
    tenantRowPrefixes.savedIds('seen'),
    tenantRowPrefixes.savedIds('deferred'),
    tenantRowPrefixes.provisionings,
    tenantRowPrefixes.services,
    tenantRowPrefixes.rotations,
    tenantRowPrefixes.expiryWarnings,
    tenantRowPrefixes.sites,
  ],
};
