import { createHash } from 'node:crypto';
import type { EntityTable } from '../storage/entity-table.js';
import { ConcurrencyError, EntityExistsError } from '../storage/storage-errors.js';
import { CoreRequestRefused } from './core-request-refused.js';

const replayed = () => new CoreRequestRefused('replayed', 'This webhook-id was used before.');

export interface SeenRequest {
  firstSeenAt: string;
}

/**
 * Remembers every accepted webhook-id for the sender's retry horizon, across all endpoints, so a replayed
 * request is refused even when sent to another endpoint. Ids are spread over 256 partitions by their hash.
 */
export class ReplayGuard {
  constructor(
    private readonly table: EntityTable<SeenRequest>,
    private readonly windowHours: number,
  ) {}

  private keys(id: string) {
    return { partitionKey: createHash('sha256').update(id).digest('hex').slice(0, 2), rowKey: id };
  }

  /** Records the id; refused (`replayed`) when it was seen within the window. */
  async remember(id: string, now = new Date()): Promise<void> {
    const keys = this.keys(id);
    try {
      await this.table.insert({ ...keys, firstSeenAt: now.toISOString() });
      return;
    } catch (error) {
      if (!(error instanceof EntityExistsError)) throw error;
    }
    const existing = await this.table.get(keys.partitionKey, keys.rowKey);
    const windowMs = this.windowHours * 3600_000;
    if (existing && now.getTime() - Date.parse(existing.entity.firstSeenAt) < windowMs) {
      throw replayed();
    }
    try {
      if (existing) await this.table.update({ ...keys, firstSeenAt: now.toISOString() }, existing.etag);
      else await this.table.insert({ ...keys, firstSeenAt: now.toISOString() });
    } catch (error) {
      if (error instanceof ConcurrencyError || error instanceof EntityExistsError) {
        throw replayed();
      }
      throw error;
    }
  }

  /** Forgets an id whose request failed on our side, so the core's retry with the same id is served. */
  async forget(id: string): Promise<void> {
    const keys = this.keys(id);
    const existing = await this.table.get(keys.partitionKey, keys.rowKey);
    if (!existing) return;
    try {
      await this.table.delete(keys.partitionKey, keys.rowKey, existing.etag);
    } catch (error) {
      // Someone re-used the id meanwhile: their record stands.
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }
}
