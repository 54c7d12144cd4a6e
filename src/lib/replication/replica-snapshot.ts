import { z } from 'zod';
import type { EntityTable } from '../storage/entity-table.js';
import { tableFilter } from '../storage/table-filters.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import type { ChangeFeed } from './change-feed.js';
import type { ReplicaRow } from './replica-flush.js';
import { kindRange, rowPrefix, tenantPartitions } from './replica-rows.js';
import {
  byApiName,
  type KindApiName,
  type ObjectKind,
  objectKinds,
  replicatedKinds,
} from './replicated-kinds.js';
import { SnapshotPageInvalid } from './replication-errors.js';

/** The kinds a snapshot pages through, as the API names them, in the order it pages through them all. */
export const snapshotKinds = Object.fromEntries(
  objectKinds.map((kind) => [replicatedKinds[kind].apiName, kind]),
) as { [K in ObjectKind as (typeof replicatedKinds)[K]['apiName']]: K };
export type SnapshotKind = KindApiName;
const kindNames = Object.keys(snapshotKinds) as SnapshotKind[];

/** An object as the snapshot serves it: what an upsert in the feed carries. */
export interface SnapshotItem {
  kind: ObjectKind;
  id: string;
  data?: Record<string, unknown>;
}

export interface SnapshotPage {
  value: SnapshotItem[];
  /** The token of the next page; none on the last. */
  nextPage?: string;
  /** The feed position the snapshot is as of: follow the feed from here after the last page (none: from its start). */
  cursor?: string;
}

export type ReplicaCounts = Record<SnapshotKind, number> & { cursor?: string };

/** What a page token carries: the tenant, the snapshot's position, the kind it is at, the table's own token. */
const pageToken = z.object({
  tenant: z.string(),
  asOf: z.string(),
  kinds: z.array(z.enum(kindNames as [SnapshotKind, ...SnapshotKind[]])).min(1),
  table: z.string().optional(),
});
type PageToken = z.infer<typeof pageToken>;

const rowFields = new Set(['partitionKey', 'rowKey', 'hash', 'gen', 'seq']);

/**
 * The tenant's replica as of one position of its change feed, page by page: for a core that starts afresh or
 * whose cursor fell off the retained feed. The position is the last change whose rows are stored (before the
 * tenant's next feed base); a row written by a later change (its `seq` is past the position) is left out, since
 * the feed after the position carries that change. So the snapshot and then the feed from its cursor hold every
 * change once, while replication goes on. A removal after the position is in the feed, for an object the
 * snapshot may not have shown: removing what is not there is a no-op for the reader.
 */
export class ReplicaSnapshot {
  constructor(
    private readonly rows: EntityTable<ReplicaRow>,
    private readonly feed: ChangeFeed,
    private readonly tenants: TenantTable,
  ) {}

  /** A page: the first of a snapshot of `kind` (every kind when none), or the one `page` names. */
  async page(
    tenantId: string,
    options: { kind?: SnapshotKind; page?: string; top: number },
  ): Promise<SnapshotPage> {
    const token = options.page
      ? this.decode(tenantId, options.page)
      : {
          tenant: tenantId,
          asOf: (await this.position(tenantId)) ?? '',
          kinds: options.kind ? [options.kind] : kindNames,
        };
    const [kind, ...rest] = token.kinds as [SnapshotKind, ...SnapshotKind[]];
    const { entities, continuationToken } = await this.rows.page(this.filter(tenantId, kind), {
      size: options.top,
      continuationToken: token.table,
    });
    const value = entities.filter((row) => asOf(row, token.asOf)).map((row) => itemOf(kind, row));
    const next: PageToken | undefined = continuationToken
      ? { ...token, table: continuationToken }
      : rest.length > 0
        ? { tenant: token.tenant, asOf: token.asOf, kinds: rest }
        : undefined;
    return {
      value,
      ...(next ? { nextPage: Buffer.from(JSON.stringify(next)).toString('base64url') } : {}),
      ...(token.asOf ? { cursor: token.asOf } : {}),
    };
  }

  /** How many objects of each kind the replica holds, as of the same position a snapshot would take. */
  async counts(tenantId: string): Promise<ReplicaCounts> {
    const position = await this.position(tenantId);
    const counts = byApiName(() => 0);
    for (const kind of kindNames)
      for await (const { entity } of this.rows.query(this.filter(tenantId, kind), ['RowKey', 'seq']))
        if (asOf(entity, position ?? '')) counts[kind] += 1;
    return { ...counts, ...(position ? { cursor: position } : {}) };
  }

  /** The last change whose rows are stored: before the tenant's next feed base. */
  private async position(tenantId: string): Promise<string | undefined> {
    const state = (await this.tenants.get(tenantId, tenantRows.replicationState))?.entity;
    return this.feed.lastSettled(tenantId, state?.feedBase);
  }

  private filter(tenantId: string, kind: SnapshotKind): string {
    return tableFilter.and(tenantPartitions(tenantId), kindRange(snapshotKinds[kind]));
  }

  private decode(tenantId: string, page: string): PageToken {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(page, 'base64url').toString('utf8'));
    } catch {
      throw new SnapshotPageInvalid();
    }
    const token = pageToken.safeParse(parsed);
    if (!token.success || token.data.tenant !== tenantId) throw new SnapshotPageInvalid();
    return token.data;
  }
}

/** The row as it was at `position`: written by a change at or before it, or by none the feed reports. */
const asOf = (row: Record<string, unknown>, position: string) =>
  typeof row.seq !== 'string' || row.seq <= position;

function itemOf(kind: SnapshotKind, row: ReplicaRow): SnapshotItem {
  const objectKind = snapshotKinds[kind];
  const data = Object.fromEntries(Object.entries(row).filter(([name]) => !rowFields.has(name)));
  return {
    kind: objectKind,
    id: row.rowKey.slice(rowPrefix[objectKind].length),
    ...(Object.keys(data).length > 0 ? { data } : {}),
  };
}
