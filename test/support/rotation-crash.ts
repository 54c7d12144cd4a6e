import { expect } from 'vitest';
import type { ConnectorFixture } from './connector-fixture.js';
import { until } from './eventually.js';
import type { Kill } from './storage-proxy.js';

const ofRotation = /rotation(%7C|\|)dr-london/i;

/** The storage writes of a rotation, in order: started, staged, proven, switched, then done with its event. */
export type RotationStep = 'started' | 'staged' | 'proven' | 'switched' | 'done';
export const rotationSteps: RotationStep[] = ['started', 'staged', 'proven', 'switched', 'done'];

const rotationState = async (connector: ConnectorFixture, tenantId: string) =>
  (await connector.call('GET', `/tenants/${tenantId}`)).body.credentials?.[0]?.rotation?.state as
    | string
    | undefined;

/**
 * Asks for dr-london's rotation, kills the host as it writes the rotation's `step` (before or after storage took
 * it), restarts it, and follows the rotation to its end; the rotation's last state.
 */
export async function rotateThroughCrash(
  connector: ConnectorFixture,
  tenantId: string,
  step: RotationStep,
  verdict: Kill,
): Promise<string | undefined> {
  if (!connector.storageProxy) throw new Error('the crash tests need the host process');
  const killed = connector.storageProxy.killAtState(ofRotation, step, verdict);
  const started = connector
    .call('POST', `/tenants/${tenantId}/services/dr-london/rotate`)
    .catch(() => ({ status: 0 }));
  await killed;
  const answer = await started;
  await connector.restartHost();
  if (answer.status === 0) {
    // The request itself died: the core sends it again (a rotation that did start is nudged, 409).
    const again = await connector.call('POST', `/tenants/${tenantId}/services/dr-london/rotate`);
    expect([202, 409]).toContain(again.status);
  }
  return until(
    () => rotationState(connector, tenantId),
    (value) => value === 'done',
    90_000,
  );
}
