import { randomUUID } from 'node:crypto';
import type { EntityTable, RowKey } from './entity-table.js';
import { ConcurrencyError, EntityExistsError, isNotFound } from './storage-errors.js';

export interface LeaseRow {
  holder: string;
  until: string;
}

/**
 * A lease on one partition (a tenant, an event stream), so only one worker acts on it at a time: a row taken with
 * a conditional write, which an expired lease lets another take over. Not a lock for ever: it ends after `ttlMs`
 * if its holder dies (or stops renewing it).
 */
export class PartitionLease<T extends object> {
  readonly holder = randomUUID();
  private etag: string | undefined;
  /** When the lease another holder has ends (after an `acquire` that failed). */
  heldUntil: Date | undefined;
  private renewal: { timer: NodeJS.Timeout; renewing: Promise<void> } | undefined;
  private lostIt = false;

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
      if (Date.parse(existing.entity.until) > now.getTime()) {
        this.heldUntil = new Date(existing.entity.until);
        return false;
      }
      this.etag = await this.table.update(row, existing.etag);
      return true;
    } catch (error) {
      // Taken or released (deleted) by another between the read and the write: theirs stands for now.
      if (error instanceof ConcurrencyError || error instanceof EntityExistsError || isNotFound(error)) {
        this.heldUntil = new Date(now.getTime() + this.ttlMs);
        return false;
      }
      throw error;
    }
  }

  /**
   * Extends the lease by its term every quarter of it until `release`, so a live holder keeps it however long it
   * works and a dead one loses it within one term. A renewal refused (someone took it over) marks it `lost`; one
   * that fails otherwise is tried again at the next quarter.
   */
  keepRenewed(): void {
    if (!this.etag || this.renewal) return;
    const renewal = {
      renewing: Promise.resolve(),
      timer: setInterval(() => {
        renewal.renewing = renewal.renewing.then(() => this.renew()).catch(() => undefined);
      }, this.ttlMs / 4),
    };
    this.renewal = renewal;
  }

  /** Whether the lease was taken over while held (its holder should stop acting on the partition). */
  get lost(): boolean {
    return this.lostIt;
  }

  private async renew(): Promise<void> {
    if (!this.etag || this.lostIt) return;
    try {
      this.etag = await this.table.update(
        {
          partitionKey: this.partitionKey,
          rowKey: this.rowKey,
          holder: this.holder,
          until: new Date(Date.now() + this.ttlMs).toISOString(),
        },
        this.etag,
      );
    } catch (error) {
      if (!(error instanceof ConcurrencyError) && !isNotFound(error)) throw error;
      this.lostIt = true;
    }
  }

  async release(): Promise<void> {
    if (this.renewal) {
      clearInterval(this.renewal.timer);
      await this.renewal.renewing;
      this.renewal = undefined;
    }
    if (!this.etag || this.lostIt) return;
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
