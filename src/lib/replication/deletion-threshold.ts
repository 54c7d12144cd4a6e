/**
 * How many removals one replication run may store before it holds them for an operator (as Microsoft Entra
 * Connect's accidental-delete prevention stops an export over 500 deletions): a number of objects, or a share of
 * the tenant's replica.
 */
export type DeletionThreshold = { kind: 'count'; objects: number } | { kind: 'share'; percent: number };

export const defaultDeletionThreshold: DeletionThreshold = { kind: 'count', objects: 500 };

/** `500` (objects) or `5%` (of the replica's rows). */
export function parseDeletionThreshold(text: string): DeletionThreshold | undefined {
  const match = /^(\d{1,9})(%?)$/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  if (match[2]) return value >= 1 && value <= 100 ? { kind: 'share', percent: value } : undefined;
  return { kind: 'count', objects: value };
}

export const describeThreshold = (threshold: DeletionThreshold) =>
  threshold.kind === 'count' ? `${threshold.objects} objects` : `${threshold.percent}% of the replica`;

/** Whether `removals` in one run cross the threshold; `replicaRows` is asked only for a share. */
export async function crossesThreshold(
  threshold: DeletionThreshold,
  removals: number,
  replicaRows: () => Promise<number>,
): Promise<boolean> {
  if (removals === 0) return false;
  if (threshold.kind === 'count') return removals > threshold.objects;
  return removals > ((await replicaRows()) * threshold.percent) / 100;
}
