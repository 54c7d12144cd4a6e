import type { QueueClient } from '@azure/storage-queue';

/** Storage queues hide a message for at most 7 days. */
const maxVisibilityDelaySeconds = 7 * 24 * 60 * 60;

export interface SendOptions {
  /** Seconds before the message becomes visible to workers (0 to 7 days). */
  visibilityDelaySeconds?: number;
}

/**
 * A queue of JSON messages, base64-encoded as the Functions queue trigger expects by default
 * (host.json `messageEncoding: base64`).
 */
export class MessageQueue<T> {
  private ready: Promise<unknown> | undefined;

  constructor(private readonly client: QueueClient) {}

  get name(): string {
    return this.client.name;
  }

  /** Sends one message; returns its id. */
  async send(message: T, options: SendOptions = {}): Promise<string> {
    const delay = options.visibilityDelaySeconds ?? 0;
    if (!Number.isInteger(delay) || delay < 0 || delay > maxVisibilityDelaySeconds) {
      throw new RangeError(
        `visibilityDelaySeconds must be a whole number from 0 to ${maxVisibilityDelaySeconds}`,
      );
    }
    this.ready ??= this.client.createIfNotExists().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    const text = Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
    const response = await this.client.sendMessage(text, { visibilityTimeout: delay });
    return response.messageId;
  }
}
