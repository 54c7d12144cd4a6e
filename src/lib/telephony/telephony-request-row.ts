import type { WorkflowRow } from '../workflows/workflow-runner.js';

export const telephonyStates = [
  'queued',
  'resolving',
  'sending',
  'following',
  'confirming',
  'refreshing',
  'succeeded',
  'failed',
] as const;
export type TelephonyState = (typeof telephonyStates)[number];

/**
 * One write-back request of the core in its tenant's partition (`telephony|{requestId}`): a number assigned,
 * unassigned or updated, or a Teams policy assigned or unassigned. Owner: TelephonyRequests. Each state is recorded
 * before the next step begins:
 * - `queued`: waits for the requests before it on the same number or user;
 * - `resolving`: the policy's id is looked up by its name;
 * - `sending`: Microsoft is asked (after reading what it holds now: a request sent before a crash is not sent again);
 * - `following`: Microsoft's operation (`operationUrl`) is read until it ends;
 * - `confirming`: the number and the user are read again for the outcome;
 * - `refreshing`: a replication run (`refreshRunId`) reads the tenant, so the change feed agrees with the outcome;
 * - `succeeded` or `failed` (telephony.request_succeeded or telephony.request_failed sent once).
 */
export interface TelephonyRequestRow extends WorkflowRow {
  requestId: string;
  kind: 'number' | 'policy';
  action: 'assign' | 'unassign' | 'update';
  state: TelephonyState;
  /** The order requests were taken in (a ULID): a request waits for earlier ones on its number or user. */
  seq: string;
  /** The request as accepted (JSON): the same id with other details is refused. */
  request: string;
  telephoneNumber?: string;
  userId?: string;
  policyType?: string;
  /** The policy's id: as given, or found by its name. */
  policyId?: string;
  /** Microsoft's operation (its path below the Graph endpoint), recorded before it is followed. */
  operationPath?: string;
  followingSince?: string;
  /** How often the operation (or the outcome) was read without an end: the next read waits longer. */
  polls?: number;
  /** JSON of the outcome (see TelephonyRequestView.outcome). */
  outcome?: string;
  statusDetail?: string;
  failure?: string;
  refreshRunId?: string;
  refreshingSince?: string;
  createdAt: string;
  finishedAt?: string;
}

export const telephonyWorking = (row: TelephonyRequestRow) =>
  row.state !== 'succeeded' && row.state !== 'failed';

/** This row kind in a tenant's partition (see tenants/tenant-partition.ts). */
declare module '../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    telephony: TelephonyRequestRow;
  }
}
