import {
  type SavedIdsKind,
  type TenantTable,
  tenantRowPrefixes,
  tenantRows,
} from '../tenants/tenant-partition.js';

/** Ids saved since the previous checkpoint, newline-separated over `ids0`, `ids1`, … */
export type SavedIdsRow = { savedAt: string } & { [property: `ids${number}`]: string };

export type { SavedIdsKind } from '../tenants/tenant-partition.js';

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
 * Ids a run keeps of a phase (see SavedIdsKind), saved with each checkpoint in the tenant's partition, so a phase
 * worked over several slices still has them at its end. Rows are forgotten once the phase is done; housekeeping
 * removes those of runs that died.
 */
export class RunSavedIds {
  private waiting: string[] = [];
  private chars = 0;

  constructor(
    private readonly tenants: TenantTable,
    private readonly tenantId: string,
    private readonly runId: string,
    private readonly kind: SavedIdsKind,
  ) {}

  add(ids: string[]): void {
    for (const id of ids) {
      this.waiting.push(id);
      this.chars += id.length + 1;
    }
  }

  /** Enough is waiting (here, and `elsewhereChars` still to be added) that the next page should checkpoint. */
  due(elsewhereChars = 0): boolean {
    return this.chars + elsewhereChars >= saveAtChars;
  }

  /** The row to save with a checkpoint at `page` of `phase` (ids shown since the last one), if any. */
  take(phase: string, page: number, savedAt: string): (SavedIdsRow & { rowKey: string }) | undefined {
    const ids = this.waiting;
    this.waiting = [];
    this.chars = 0;
    if (ids.length === 0) return undefined;
    const row: SavedIdsRow & { rowKey: string } = {
      rowKey: tenantRows.savedIds(this.kind, this.runId, phase, page),
      savedAt,
    };
    for (const [index, chunk] of chunkIds(ids).entries()) row[`ids${index}`] = chunk;
    return row;
  }

  /** Every id saved for `phase` by earlier checkpoints of the run, in the order saved. */
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
    return this.tenants.queryPrefix(
      this.tenantId,
      tenantRowPrefixes.savedIdsOf(this.kind, this.runId, phase),
    );
  }
}

/** This row kind in a tenant's partition (see tenants/tenant-partition.ts). */
declare module '../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    savedIds: SavedIdsRow;
  }
}
