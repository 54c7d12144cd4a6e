import { type TenantTable, tenantRowPrefixes, tenantRows } from '../tenants/tenant-partition.js';

/** Ids a whole list showed since the previous checkpoint, newline-separated over `ids0`, `ids1`, … */
export type ListedIdsRow = { savedAt: string } & { [property: `ids${number}`]: string };

/** A string property holds 32K UTF-16 characters. */
const maxPropertyChars = 30_000;
/** Checkpoint a list phase once this much is waiting, so a row stays far under the 1 MiB entity limit. */
const saveAtChars = 200_000;

/** Splits ids into newline-joined chunks that each fit one string property. */
export function chunkIds(ids: readonly string[], maxChars = maxPropertyChars): string[] {
  const chunks: string[] = [];
  let chunk: string[] = [];
  let chars = 0;
  for (const id of ids) {
    if (chunk.length > 0 && chars + id.length + 1 > maxChars) {
      chunks.push(chunk.join('\n'));
      chunk = [];
      chars = 0;
    }
    chunk.push(id);
    chars += id.length + 1;
  }
  if (chunk.length > 0) chunks.push(chunk.join('\n'));
  return chunks;
}

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
    private readonly tenants: TenantTable,
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
  take(phase: string, page: number, savedAt: string): (ListedIdsRow & { rowKey: string }) | undefined {
    const ids = this.waiting;
    this.waiting = [];
    this.chars = 0;
    if (ids.length === 0) return undefined;
    const row: ListedIdsRow & { rowKey: string } = {
      rowKey: tenantRows.listed(this.runId, phase, page),
      savedAt,
    };
    for (const [index, chunk] of chunkIds(ids).entries()) row[`ids${index}`] = chunk;
    return row;
  }

  /** Every id saved for `phase` by earlier checkpoints of the run. */
  async *saved(phase: string): AsyncIterable<string> {
    for await (const { entity } of this.rows(phase))
      for (const [name, value] of Object.entries(entity))
        if (name.startsWith('ids')) yield* String(value).split('\n');
  }

  /** Removes what was saved for `phase` (once the phase is done and its end saved). */
  async forget(phase: string): Promise<void> {
    for await (const { entity, etag } of this.rows(phase))
      await this.tenants.delete(this.tenantId, entity.rowKey, etag);
  }

  private rows(phase: string) {
    return this.tenants.queryPrefix(this.tenantId, tenantRowPrefixes.listedOf(this.runId, phase));
  }
}
