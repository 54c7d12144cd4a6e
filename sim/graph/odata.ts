import type { SimRequest } from '../http-kit.js';
import { badRequest } from './graph-error.js';

/** `$select`: the named properties plus `id` (Graph always returns it); everything when absent. */
export function selectFields(request: SimRequest): string[] | undefined {
  const select = request.url.searchParams.get('$select');
  if (!select) return undefined;
  return [
    'id',
    ...select
      .split(',')
      .map((field) => field.trim())
      .filter((field) => field && field !== 'id'),
  ];
}

export function project<T extends object>(object: T, fields: string[] | undefined): Record<string, unknown> {
  if (!fields) return { ...(object as Record<string, unknown>) };
  const source = object as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const field of fields) if (field in source) result[field] = source[field];
  return result;
}

/** `$top` within Graph's bounds, or the default; a Graph error for a bad value. */
export function pageSize(request: SimRequest, defaultSize: number, max: number) {
  const top = request.url.searchParams.get('$top');
  if (top === null) return defaultSize;
  const value = Number(top);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    return badRequest(`Invalid page size specified: '${top}'. Must be between 1 and ${max} inclusive.`);
  }
  return value;
}

/** The simple `$filter` forms the connector sends: `prop eq 'value'` (optionally `and`-ed). */
export function parseEqFilter(request: SimRequest): Record<string, string> | undefined | 'invalid' {
  const filter = request.url.searchParams.get('$filter');
  if (!filter) return undefined;
  const clauses: Record<string, string> = {};
  for (const clause of filter.split(/\s+and\s+/i)) {
    const match = /^\s*([A-Za-z/]+)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(clause);
    if (!match) return 'invalid';
    clauses[match[1] as string] = (match[2] as string).replaceAll("''", "'");
  }
  return clauses;
}

/** Opaque page cursors in next links: base64url JSON, as stateless as Graph's `$skiptoken`. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(token: string | null): T | undefined {
  if (!token) return undefined;
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
