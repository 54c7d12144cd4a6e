/**
 * One rotation of a service's secret, in the tenant's partition (`rotation|{serviceId}`): the last one stays as
 * the record of the service's last rotation. Owner: CredentialRotation.
 * - `started`: the old password is known (`oldKeyId`, when the connector can tell it); a new one may exist on the
 *   app without being staged;
 * - `staged`: the new password `newKeyId` exists and its secret is in Key Vault under the service's `-next` name,
 *   which nothing reads as the service's credential; not yet proven;
 * - `proven`: Entra accepted it;
 * - `switched`: it is the current version of the service's secret since `switchedAt`; instances that read the
 *   old one before keep it until their cache expires, so the old password stays until then;
 * - `done`: the old password is removed (credentials.rotated sent);
 * - `failed`: the new secret never worked; it was removed and the old one kept (credentials.rotation_failed sent).
 */
export interface RotationProgress {
  serviceId: string;
  rotationId: string;
  state: 'started' | 'staged' | 'proven' | 'switched' | 'done' | 'failed';
  reason: 'requested' | 'expiring';
  oldKeyId?: string;
  newKeyId?: string;
  newExpiresAt?: string;
  startedAt: string;
  stagedAt?: string;
  switchedAt?: string;
  finishedAt?: string;
  failure?: string;
  updatedAt: string;
  /** The workflow runner's: attempts that waited, when the next is due, what the last one met. */
  attempts?: number;
  nextAttemptAt?: string;
  lastError?: string;
}

export const rotationRunning = (progress: RotationProgress | undefined) =>
  progress !== undefined && progress.state !== 'done' && progress.state !== 'failed';

/** One rotation to advance: a message on the `credential-rotations` queue. */
export interface RotationJob {
  tenantId: string;
  serviceId: string;
}

/** This row kind in a tenant's partition (see tenants/tenant-partition.ts). */
declare module '../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    rotation: RotationProgress;
  }
}
