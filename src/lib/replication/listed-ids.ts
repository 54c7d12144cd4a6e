import type { EntityTable } from '../storage/entity-table.js';

type Row = Record<string, unknown> & { rowKey: string };

/** A string property holds 32K UTF-16 characters. */
const maxPropertyChars = 30_000;
/** Checkpoint a list phase once this much is waiting, so a row stays far under the 1 MiB entity limit. */
const saveAtChars = 200_000;

/**
 * What a whole list (Teams configurations, Direct Routing numbers; they have no delta) showed in a run so far.
 * It is saved with each checkpoint in the run's partition (`listed|{runId}|{phase}|{page}`), so a list read over
 * several slices still knows at the end what left it. Rows are forgotten once the phase is done; housekeeping
 * removes those of runs that died.
 */
export class ListedIds {
  private waiting: string[] = [];
  private chars = 0;

  constructor(
    private readonly tenants: EntityTable<Record<string, unknown>>,
    private readonly tenantId: string,
    private readonly runId: string,
  ) {}

  add(ids: string[]): void {
    for (const id of ids) {
      this.waiting.push(id);
      this.chars += id.length + 1;
    }
  }

  /** Enough is waiting that the next page should checkpoint. */
  get due(): boolean {
    return this.chars >= saveAtChars;
  }

  /** The row to save with a checkpoint at `page` of `phase` (ids shown since the last one), if any. */
  take(phase: string, page: number, savedAt: string): Row | undefined {
    const ids = this.waiting;
    this.waiting = [];
    this.chars = 0;
    if (ids.length === 0) return undefined;
    const row: Row = { rowKey: `${this.prefix(phase)}${String(page).padStart(8, '0')}`, savedAt };
    let property = 0;
    let chunk: string[] = [];
    let chars = 0;
    for (const id of ids) {
      if (chars + id.length + 1 > maxPropertyChars) {
        row[`ids${property++}`] = chunk.join('\n');
        chunk = [];
        chars = 0;
      }
      chunk.push(id);
      chars += id.length + 1;
    }
    row[`ids${property}`] = chunk.join('\n');
    return row;
  }

  /** Every id saved for `phase` by earlier checkpoints of the run. */
  async *saved(phase: string): AsyncIterable<string> {
    for await (const { entity } of this.tenants.query(this.filter(phase)))
      for (const [name, value] of Object.entries(entity))
        if (name.startsWith('ids')) yield* String(value).split('\n');
  }

  /** Removes what was saved for `phase` (once the phase is done and its end saved). */
  async forget(phase: string): Promise<void> {
    for await (const { entity, etag } of this.tenants.query(this.filter(phase)))
      await this.tenants.delete(this.tenantId, entity.rowKey, etag);
  }

  private prefix(phase: string): string {
    return `listed|${this.runId}|${phase}|`;
  }

  private filter(phase: string): string {
    const prefix = this.prefix(phase);
    return `PartitionKey eq '${this.tenantId}' and RowKey gt '${prefix}' and RowKey lt '${prefix.slice(0, -1)}}'`;
  }
}
