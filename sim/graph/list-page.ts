import { json, type SimResponse } from '../http-kit.js';
import { badRequest } from './graph-error.js';
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
  sizes: { default?: number; max?: number; continuation?: boolean } = {},
): SimResponse {
  const { request, config, baseUrl } = context;
  const size = pageSize(request, sizes.default ?? config.listPageSize, sizes.max ?? config.listMaxPageSize);
  if (typeof size !== 'number') return size;
  const offset = decodeCursor<{ offset: number }>(request.url.searchParams.get('$skiptoken'))?.offset ?? 0;
  const value = items.slice(offset, offset + size).map(render);
  const next = offset + size < items.length && sizes.continuation !== false;
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

/**
 * One page of a collection paged by `$top` and `$skip`, as the Teams number assignments list documents it: the
 * response carries no continuation, so a client asks for the next `$skip` until a page comes back short. A next
 * link is added only when `nextLink` is set (Microsoft is silent on whether one ever comes).
 * https://learn.microsoft.com/graph/api/teamsadministration-telephonenumbermanagementroot-list-numberassignments
 */
export function skipPage<T>(
  context: GraphContext,
  collection: string,
  items: readonly T[],
  sizes: { default: number; max: number; nextLink: boolean },
): SimResponse {
  const { request, baseUrl } = context;
  const size = pageSize(request, sizes.default, sizes.max);
  if (typeof size !== 'number') return size;
  const skipParameter = request.url.searchParams.get('$skip');
  const skip = skipParameter === null ? 0 : Number(skipParameter);
  if (!Number.isInteger(skip) || skip < 0) return badRequest(`Invalid value for $skip: '${skipParameter}'.`);
  const value = items.slice(skip, skip + size);
  let nextLink: string | undefined;
  if (sizes.nextLink && skip + size < items.length) {
    const url = new URL(`${baseUrl}${request.url.pathname.replace(/^\/graph/, '')}`);
    for (const [name, parameter] of request.url.searchParams) url.searchParams.set(name, parameter);
    url.searchParams.set('$skip', String(skip + size));
    nextLink = url.toString();
  }
  return json(200, {
    '@odata.context': `${baseUrl}/v1.0/$metadata#${collection}`,
    ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    value,
  });
}
