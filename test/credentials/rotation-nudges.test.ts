import { QueueClient } from '@azure/storage-queue';
import { describe, expect, it } from 'vitest';
import { services } from '../../src/app-services.js';
import { queueNames } from '../../src/lib/storage/storage-names.js';
import { until } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

// A connector of its own: the test counts the rotation queue's messages, which no other test's rotation may touch.
const connector = useConnector();

describe('nudging a waiting rotation', () => {
  it('leaves one message in flight however often a waiting rotation is asked for again', async () => {
    const { tenantId } = await selfManagedTenant(connector);
    connector.simulator.directory.tenant(tenantId).policies.secretPropagationMs = 24 * 3600_000;
    await connector.call('POST', `/tenants/${tenantId}/services/dr-london/rotate`);
    await until(
      () => services().credentialRotation.progress(tenantId, 'dr-london'),
      (rotation) => rotation?.state === 'staged' && rotation.nextAttemptAt !== undefined,
    );
    const queue = new QueueClient(connector.azurite.connectionString, queueNames.credentialRotations);
    const inQueue = async () => (await queue.getProperties()).approximateMessagesCount ?? 0;
    const visible = async () =>
      (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length;
    // The attempt's own message is sent once its wait is saved: measured after it is in.
    await until(visible, (count) => count === 0, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = await inQueue();
    for (let nudge = 0; nudge < 3; nudge += 1)
      expect((await connector.call('POST', `/tenants/${tenantId}/services/dr-london/rotate`)).status).toBe(
        409,
      );
    // Each nudge is taken and ends: the rotation is not due, and only the message that made the attempt comes back.
    // A nudge taken is counted until its worker ends it (longer on a busy machine): wait for the count to settle.
    await until(visible, (count) => count === 0, 20_000);
    expect(await until(inQueue, (count) => count <= before, 20_000)).toBeLessThanOrEqual(before);
    expect((await services().credentialRotation.progress(tenantId, 'dr-london'))?.state).toBe('staged');
  });
});
