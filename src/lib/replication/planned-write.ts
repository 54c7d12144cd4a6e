import type { Change, RowWrite, StoredChange } from './change-feed.js';
import type { ObjectKind } from './replica-rows.js';

/** One row write that planning decided on, and the change it reports. */
export interface PlannedWrite {
  rowKey: string;
  /** Properties to write; undefined to delete the row. */
  fields?: Record<string, unknown>;
  /** The row is believed absent: insert it (cheaper than a merge; if it exists after all, it is merged). */
  create?: boolean;
  /** Replace the whole row (it was removed and comes back in the same flush). */
  replace?: boolean;
  /** The change it reports (its kind and id are the row's); none when the feed holds it already (a flush finished). */
  change?: { op: Change['op']; at: string };
  /** The change's position in the feed, once stored there: the row keeps it. */
  seq?: string;
}

/**
 * The change a write reports: kind and id from its row key, the object's fields after an upsert, and what else
 * the write puts in the row (so the write can be made again from the feed).
 */
export function changeOf({ rowKey, fields, replace, change }: PlannedWrite): StoredChange | undefined {
  if (!change) return undefined;
  const split = rowKey.indexOf('|');
  const reported: StoredChange = {
    kind: rowKey.slice(0, split) as ObjectKind,
    id: rowKey.slice(split + 1),
    op: change.op,
    at: change.at,
  };
  if (change.op === 'upsert' && fields) {
    const { hash, gen, ...data } = fields;
    if (Object.keys(data).length > 0) reported.data = data;
    const row: RowWrite = {
      ...(hash === undefined ? {} : { hash: String(hash) }),
      ...(gen === undefined ? {} : { gen: String(gen) }),
      ...(replace ? { replace: true } : {}),
    };
    if (Object.keys(row).length > 0) reported.row = row;
  }
  return reported;
}

/** The write a stored change reports (to make it again, harmlessly, when its flush was cut short). */
export function writeOf({ kind, id, op, data, row }: StoredChange): PlannedWrite {
  const rowKey = `${kind}|${id}`;
  if (op === 'delete') return { rowKey };
  const fields: Record<string, unknown> = { ...data };
  if (row?.hash !== undefined) fields.hash = row.hash;
  if (row?.gen !== undefined) fields.gen = row.gen;
  return { rowKey, fields, ...(row?.replace ? { replace: true } : {}) };
}
