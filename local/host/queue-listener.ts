import type { StorageQueueFunctionOptions } from '@azure/functions';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { HostConfig } from './host-config.js';
import { type HostLog, invokeFunction } from './invoke.js';

const minPollingIntervalMs = 100;

/** The message as the Functions queue trigger hands it over: parsed JSON when it is JSON, else the text. */
export function decodeQueueMessage(
  text: string,
  encoding: HostConfig['queues']['messageEncoding'],
): {
  text: string;
  payload: unknown;
} {
  const decoded = encoding === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : text;
  try {
    return { text: decoded, payload: JSON.parse(decoded) };
  } catch {
    return { text: decoded, payload: decoded };
  }
}

/**
 * Polls one queue for a queue-triggered function, as the Functions host does: batches of `batchSize`, a new
 * batch when in-flight work drops to `newBatchThreshold`, back-off to `maxPollingInterval` while empty, each
 * message taken for `messageLeaseMs` and its lease renewed at half of that while its function runs (so a host
 * that dies gives it back within one lease), deleted on success, made visible again after `visibilityTimeout`
 * on failure, and moved to `<queue>-poison` once it has failed `maxDequeueCount` times.
 */
export class QueueListener {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private wake: (() => void) | undefined;

  constructor(
    private readonly name: string,
    private readonly options: StorageQueueFunctionOptions,
    private readonly queue: QueueClient,
    private readonly poisonQueue: QueueClient,
    private readonly config: HostConfig,
    private readonly log: HostLog,
    private readonly messageLeaseMs: number,
  ) {}

  async start(): Promise<void> {
    await this.queue.createIfNotExists();
    this.running = true;
    // The host's own polling is no part of the app's telemetry (in Azure the host polls outside the worker): its
    // storage calls make no spans. An invocation starts its own trace from the invocation's trace context.
    this.loop = context.with(suppressTracing(ROOT_CONTEXT), () => this.poll());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.all(this.inFlight);
  }

  private async poll(): Promise<void> {
    const { batchSize, newBatchThreshold, maxPollingIntervalMs } = this.config.queues;
    let idleMs = minPollingIntervalMs;
    while (this.running) {
      if (this.inFlight.size > newBatchThreshold) {
        await Promise.race(this.inFlight);
        continue;
      }
      let messages: DequeuedMessageItem[] = [];
      try {
        const response = await this.queue.receiveMessages({
          numberOfMessages: batchSize,
          visibilityTimeout: this.leaseSeconds,
        });
        messages = response.receivedMessageItems;
      } catch (error) {
        this.log('warning', `Queue '${this.queue.name}' could not be read: ${(error as Error).message}`);
      }
      for (const message of messages) {
        const work = this.process(message).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      }
      if (messages.length > 0) {
        idleMs = minPollingIntervalMs;
        continue;
      }
      await this.sleep(idleMs);
      idleMs = Math.min(idleMs * 2, maxPollingIntervalMs);
    }
  }

  private get leaseSeconds(): number {
    return Math.max(1, Math.round(this.messageLeaseMs / 1000));
  }

  /**
   * Keeps a message invisible while its function runs; `stop` ends that and gives the latest pop receipt (each
   * renewal makes a new one). A renewal that fails is logged: the message may come back to another invocation.
   */
  private holdLease(message: DequeuedMessageItem): { stop: () => Promise<string> } {
    let receipt = message.popReceipt;
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing.then(async () => {
        try {
          const renewed = await this.queue.updateMessage(
            message.messageId,
            receipt,
            undefined,
            this.leaseSeconds,
          );
          if (renewed.popReceipt) receipt = renewed.popReceipt;
        } catch (error) {
          this.log('warning', `Message ${message.messageId}: lease not renewed: ${(error as Error).message}`);
        }
      });
    }, this.messageLeaseMs / 2);
    return {
      stop: async () => {
        clearInterval(timer);
        await renewing;
        return receipt;
      },
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async process(message: DequeuedMessageItem): Promise<void> {
    const { text, payload } = decodeQueueMessage(message.messageText, this.config.queues.messageEncoding);
    const metadata = {
      id: message.messageId,
      queueTrigger: text,
      dequeueCount: message.dequeueCount,
      expirationTime: message.expiresOn.toISOString(),
      insertionTime: message.insertedOn.toISOString(),
      nextVisibleTime: message.nextVisibleOn.toISOString(),
      popReceipt: message.popReceipt,
    };
    const lease = this.holdLease(message);
    let succeeded = false;
    try {
      await invokeFunction(this.name, this.config.functionTimeoutMs, this.log, metadata, (context) =>
        this.options.handler(payload, context),
      );
      succeeded = true;
    } catch {
      // Released below.
    }
    const popReceipt = await lease.stop();
    if (!succeeded) return this.release({ ...message, popReceipt });
    try {
      await this.queue.deleteMessage(message.messageId, popReceipt);
    } catch (error) {
      this.log('warning', `Message ${message.messageId} could not be deleted: ${(error as Error).message}`);
    }
  }

  private async release(message: DequeuedMessageItem): Promise<void> {
    const { maxDequeueCount, visibilityTimeoutMs } = this.config.queues;
    try {
      if (message.dequeueCount >= maxDequeueCount) {
        await this.poisonQueue.createIfNotExists();
        await this.poisonQueue.sendMessage(message.messageText);
        await this.queue.deleteMessage(message.messageId, message.popReceipt);
        this.log(
          'warning',
          `Message ${message.messageId} failed ${message.dequeueCount} times; moved to '${this.poisonQueue.name}'.`,
        );
      } else {
        await this.queue.updateMessage(
          message.messageId,
          message.popReceipt,
          undefined,
          Math.round(visibilityTimeoutMs / 1000),
        );
      }
    } catch (error) {
      // The message stays invisible until its lease ends, then comes back: nothing is lost.
      this.log('warning', `Message ${message.messageId} could not be released: ${(error as Error).message}`);
    }
  }
}
