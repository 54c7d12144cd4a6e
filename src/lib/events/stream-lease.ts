import { randomUUID } from 'node:crypto';
import type { EntityTable } from '../storage/entity-table.js';
import { ConcurrencyError, EntityExistsError } from '../storage/storage-errors.js';

export interface LeaseRow {
  holder: string;
  until: string;
}

/**
 * A lease on one partition (a stream), so only one worker acts on it at a time. Taken with a conditional write;
 * an expired lease can be taken over. Not a lock for ever: it ends after `ttlMs` if its holder dies.
 */
export class StreamLease {
  readonly holder = randomUUID();
  private etag: string | undefined;

  constructor(
    private readonly table: EntityTable<LeaseRow>,
    private readonly partitionKey: string,
    private readonly rowKey: string,
    private readonly ttlMs: number,
  ) {}

  async acquire(now = new Date()): Promise<boolean> {
    const row = {
      partitionKey: this.partitionKey,
      rowKey: this.rowKey,
      holder: this.holder,
      until: new Date(now.getTime() + this.ttlMs).toISOString(),
    };
    try {
      const existing = await this.table.get(this.partitionKey, this.rowKey);
      if (!existing) {
        this.etag = await this.table.insert(row);
        return true;
      }
      if (Date.parse(existing.entity.until) > now.getTime()) return false;
      this.etag = await this.table.update(row, existing.etag);
      return true;
    } catch (error) {
      if (error instanceof ConcurrencyError || error instanceof EntityExistsError) return false;
      throw error;
    }
  }

  async release(): Promise<void> {
    if (!this.etag) return;
    try {
      await this.table.delete(this.partitionKey, this.rowKey, this.etag);
    } catch (error) {
      // Our lease ran out and someone else holds it now: theirs stands.
      if (!(error instanceof ConcurrencyError)) throw error;
    } finally {
      this.etag = undefined;
    }
  }
}
