import { randomUUID } from 'node:crypto';
import type { EntityTable, RowKey } from './entity-table.js';
import { ConcurrencyError, EntityExistsError } from './storage-errors.js';

export interface LeaseRow {
  holder: string;
  until: string;
}

/**
 * A lease on one partition (a tenant, an event stream), so only one worker acts on it at a time: a row taken with
 * a conditional write, which an expired lease lets another take over. Not a lock for ever: it ends after `ttlMs`
 * if its holder dies.
 */
export class PartitionLease<T extends object> {
  readonly holder = randomUUID();
  private etag: string | undefined;

  constructor(
    private readonly table: EntityTable<T | LeaseRow>,
    private readonly partitionKey: string,
    private readonly rowKey: RowKey<LeaseRow>,
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
      const existing = await this.table.get<LeaseRow>(this.partitionKey, this.rowKey);
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
