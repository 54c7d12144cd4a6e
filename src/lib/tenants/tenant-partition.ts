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
 * | `access-tokens`                    | the hour's access token requests, and tokens issued       | AccessTokenBudget     |
 * | `near-real-time`                   | the tenant's Graph change-notification subscriptions      | TenantSubscriptions   |
 * | `near-real-time-lease`             | keeps two requests off the subscriptions at once          | TenantSubscriptions   |
 * | `notified-changes`                 | notifications not yet answered by a run, and counts       | NotifiedChanges       |
 * | `telephony\|{requestId}`           | a write-back request of the core (number, policy)         | TelephonyRequests     |
 * | `telephony-lease\|{requestId}`     | the lease that keeps two workers off one request          | TelephonyRequests     |
 */
export type TenantPartitionRow = TenantRowKinds[keyof TenantRowKinds];

/**
 * Every row kind of the partition by name, for the typed keys below. This module names only the rows it owns (the
 * tenant, leases); each feature adds its own where it defines the row (a `declare module` of this module beside its
 * row type), so every feature can use this module and this module imports none of them.
 */
export interface TenantRowKinds {
  tenant: TenantRecord;
  lease: LeaseRow;
}

/**
 * What a run keeps of a phase between its slices: `listed`, what a whole list showed (so the sweep at its end
 * knows what left it); `seen`, the marks of the rows a full delta enumeration saw unchanged (for its sweep, see
 * SeenKeys); `deferred`, the removals held back until the phase ends (the accidental-delete check).
 */
export type SavedIdsKind = 'listed' | 'seen' | 'deferred';

type Kind<K extends string> = K extends keyof TenantRowKinds ? TenantRowKinds[K] : never;

/** The `Tenants` table, opened once with every row kind it holds. */
export type TenantTable = EntityTable<TenantPartitionRow>;

/** The key of each row kind in a tenant's partition. */
export const tenantRows = {
  tenant: rowKey<Kind<'tenant'>>('tenant'),
  event: (ulid: string) => rowKey<Kind<'event'>>(`event|${ulid}`),
  dispatchLease: rowKey<Kind<'lease'>>('dispatch-lease'),
  run: (runId: string) => rowKey<Kind<'run'>>(`run|${runId}`),
  replicationState: rowKey<Kind<'replicationState'>>('replication'),
  replicationLease: rowKey<Kind<'lease'>>('replication-lease'),
  savedIds: (kind: SavedIdsKind, runId: string, phase: string, page: number) =>
    rowKey<Kind<'savedIds'>>(`${kind}|${runId}|${phase}|${String(page).padStart(8, '0')}`),
  provisioning: (invitationId: string) => rowKey<Kind<'provisioning'>>(`provisioning|${invitationId}`),
  /** Keyed by the lower-cased id: service ids are unique in a tenant whatever their case. */
  service: (serviceId: string) => rowKey<Kind<'service'>>(`service|${serviceId.toLowerCase()}`),
  serviceLease: (serviceId: string) => rowKey<Kind<'lease'>>(`service-lease|${serviceId.toLowerCase()}`),
  rotation: (serviceId: string) => rowKey<Kind<'rotation'>>(`rotation|${serviceId.toLowerCase()}`),
  rotationLease: (serviceId: string) => rowKey<Kind<'lease'>>(`rotation-lease|${serviceId.toLowerCase()}`),
  expiryWarning: (serviceId: string) =>
    rowKey<Kind<'expiryWarning'>>(`expiry-warning|${serviceId.toLowerCase()}`),
  /** Keyed by the lower-cased id, as services are. */
  site: (siteId: string) => rowKey<Kind<'site'>>(`site|${siteId.toLowerCase()}`),
  siteLease: (siteId: string) => rowKey<Kind<'lease'>>(`site-lease|${siteId.toLowerCase()}`),
  offboarding: rowKey<Kind<'offboarding'>>('offboarding'),
  offboardingLease: rowKey<Kind<'lease'>>('offboarding-lease'),
  accessTokens: rowKey<Kind<'accessTokens'>>('access-tokens'),
  nearRealTime: rowKey<Kind<'nearRealTime'>>('near-real-time'),
  nearRealTimeLease: rowKey<Kind<'lease'>>('near-real-time-lease'),
  notifiedChanges: rowKey<Kind<'notifiedChanges'>>('notified-changes'),
  /** Keyed by the core's id as given (ids are compared exactly). */
  telephony: (requestId: string) => rowKey<Kind<'telephony'>>(`telephony|${requestId}`),
  telephonyLease: (requestId: string) => rowKey<Kind<'lease'>>(`telephony-lease|${requestId}`),
};

/** Key prefixes that select one row kind (for `queryPrefix` and the filters of `tableFilter`). */
export const tenantRowPrefixes = {
  events: rowKey<Kind<'event'>>('event|'),
  runs: rowKey<Kind<'run'>>('run|'),
  savedIds: (kind: SavedIdsKind) => rowKey<Kind<'savedIds'>>(`${kind}|`),
  savedIdsOf: (kind: SavedIdsKind, runId: string, phase: string) =>
    rowKey<Kind<'savedIds'>>(`${kind}|${runId}|${phase}|`),
  rotations: rowKey<Kind<'rotation'>>('rotation|'),
  sites: rowKey<Kind<'site'>>('site|'),
  provisionings: rowKey<Kind<'provisioning'>>('provisioning|'),
  services: rowKey<Kind<'service'>>('service|'),
  expiryWarnings: rowKey<Kind<'expiryWarning'>>('expiry-warning|'),
  telephony: rowKey<Kind<'telephony'>>('telephony|'),
};

/**
 * Rows of a tenant's work (replication state and runs, saved ids, provisioning, services, rotations, warnings,
 * sites, access token counts, near-real-time state): deleted with its data at offboarding. The tenant row, its offboarding, its outbox
 * and leases stay.
 */
export const tenantWorkRows = {
  exact: [
    tenantRows.replicationState,
    tenantRows.accessTokens,
    tenantRows.nearRealTime,
    tenantRows.notifiedChanges,
  ],
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
    tenantRowPrefixes.telephony,
  ],
};
