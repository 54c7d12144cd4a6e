import { randomUUID } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import { describe, expect, inject, it } from 'vitest';
import { MessageQueue } from '../../../src/lib/storage/message-queue.js';

function freshQueue() {
  const client = new QueueClient(inject('storageConnectionString'), `jobs-${randomUUID()}`);
  return { queue: new MessageQueue<{ tenantId: string }>(client), client };
}

describe('MessageQueue against Azurite', () => {
  it('creates the queue on first send and sends base64-encoded JSON', async () => {
    const { queue, client } = freshQueue();
    await queue.send({ tenantId: 't1' });
    const [message] = (await client.receiveMessages()).receivedMessageItems;
    expect(JSON.parse(Buffer.from(message?.messageText ?? '', 'base64').toString('utf8'))).toEqual({
      tenantId: 't1',
    });
  });

  it('hides a delayed message until its delay has passed', async () => {
    const { queue, client } = freshQueue();
    await queue.send({ tenantId: 'later' }, { visibilityDelaySeconds: 2 });
    expect((await client.receiveMessages()).receivedMessageItems).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect((await client.receiveMessages()).receivedMessageItems).toHaveLength(1);
  });

  it.each([-1, 1.5, 7 * 24 * 3600 + 1])(
    'refuses a visibility delay of %s seconds and sends nothing',
    async (delay) => {
      const { queue, client } = freshQueue();
      await expect(queue.send({ tenantId: 'x' }, { visibilityDelaySeconds: delay })).rejects.toThrow(
        RangeError,
      );
      expect(await client.exists()).toBe(false);
    },
  );
});
