import { json, type SimResponse } from '../http-kit.js';
import type { GraphContext } from './graph-route.js';
import { decodeCursor, encodeCursor, pageSize } from './odata.js';

/**
 * One page of a collection with `$top` and an opaque `$skiptoken` next link, as Graph pages plain lists.
 * https://learn.microsoft.com/graph/paging
 */
export function listPage<T>(
  context: GraphContext,
  collection: string,
  items: readonly T[],
  render: (item: T) => unknown,
  sizes: { default?: number; max?: number } = {},
): SimResponse {
  const { request, config, baseUrl } = context;
  const size = pageSize(request, sizes.default ?? config.listPageSize, sizes.max ?? config.listMaxPageSize);
  if (typeof size !== 'number') return size;
  const offset = decodeCursor<{ offset: number }>(request.url.searchParams.get('$skiptoken'))?.offset ?? 0;
  const value = items.slice(offset, offset + size).map(render);
  const next = offset + size < items.length;
  let nextLink: string | undefined;
  if (next) {
    const url = new URL(`${baseUrl}${request.url.pathname.replace(/^\/graph/, '')}`);
    for (const [name, parameter] of request.url.searchParams)
      if (name !== '$skiptoken') url.searchParams.set(name, parameter);
    url.searchParams.set('$skiptoken', encodeCursor({ offset: offset + size }));
    nextLink = url.toString();
  }
  return json(200, {
    '@odata.context': `${baseUrl}/v1.0/$metadata#${collection}`,
    ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    value,
  });
}
