import type { Change } from './change-feed.js';
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
  /** The change it reports (its kind and id are the row's); none for bookkeeping (stamping a row as seen). */
  change?: { op: Change['op']; at: string };
}

/** The change a write reports: kind and id from its row key, and the object's fields after an upsert. */
export function changeOf({ rowKey, fields, change }: PlannedWrite): Change | undefined {
  if (!change) return undefined;
  const split = rowKey.indexOf('|');
  const reported: Change = {
    kind: rowKey.slice(0, split) as ObjectKind,
    id: rowKey.slice(split + 1),
    op: change.op,
    at: change.at,
  };
  if (change.op === 'upsert' && fields) {
    const { hash: _hash, gen: _gen, ...data } = fields;
    if (Object.keys(data).length > 0) reported.data = data;
  }
  return reported;
}
