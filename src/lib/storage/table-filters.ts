import { odata } from '@azure/data-tables';
import { escapeKey } from './table-keys.js';

/**
 * OData filters over Table Storage, built with the SDK's escaping `odata` template. Keys are compared as stored
 * (escaped, see table-keys.ts), so callers pass logical keys and prefixes.
 */

/** The key just past every key that starts with `prefix` (its last character, one higher). */
function prefixEnd(prefix: string): string {
  const last = prefix.codePointAt(prefix.length - 1) ?? 0;
  return `${prefix.slice(0, -1)}${String.fromCodePoint(last + 1)}`;
}

function keyRange(field: 'PartitionKey' | 'RowKey', prefix: string): string {
  const stored = escapeKey(prefix);
  return field === 'PartitionKey'
    ? odata`PartitionKey ge ${stored} and PartitionKey lt ${prefixEnd(stored)}`
    : odata`RowKey ge ${stored} and RowKey lt ${prefixEnd(stored)}`;
}

export const tableFilter = {
  partition: (partitionKey: string) => odata`PartitionKey eq ${escapeKey(partitionKey)}`,
  /** Every partition whose key starts with `prefix`. */
  partitionsStartingWith: (prefix: string) => keyRange('PartitionKey', prefix),
  rowKey: (rowKey: string) => odata`RowKey eq ${escapeKey(rowKey)}`,
  /** Every row whose key starts with `prefix`. */
  rowKeysStartingWith: (prefix: string) => keyRange('RowKey', prefix),
  /** Row keys from `from` (inclusive) on. */
  rowKeysFrom: (from: string) => odata`RowKey ge ${escapeKey(from)}`,
  /** Row keys before `before` (exclusive). */
  rowKeysBefore: (before: string) => odata`RowKey lt ${escapeKey(before)}`,
  /** A string property compared with a value. */
  property: (name: string, operator: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', value: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RangeError(`Not a property name: ${name}`);
    return `${name} ${operator} ${odata`'${value}'`}`;
  },
  and: (...clauses: (string | undefined)[]) => clauses.filter(Boolean).join(' and '),
};
