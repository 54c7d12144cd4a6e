import type { HttpFunctionOptions } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { hostQuery } from '../../../local/host/http-listener.js';
import { compareOrdinalIgnoreCase, RouteTable } from '../../../local/host/route-table.js';

const handler: HttpFunctionOptions['handler'] = async () => ({ status: 204 });
const fn = (name: string, route: string, methods?: HttpFunctionOptions['methods']) => ({
  name,
  options: { route, methods, handler },
});

describe('RouteTable (the Functions host routing rules)', () => {
  it('tries routes in function-name order and takes the first template that matches, literal or not', () => {
    const table = new RouteTable([
      fn('onboarding-sign-in-callback', 'onboarding/callback', ['GET']),
      fn('onboarding-landing', 'onboarding/{token}', ['GET']),
    ]);
    expect(table.resolve('GET', '/onboarding/callback')?.route.name).toBe('onboarding-landing');
  });

  it('orders names as .NET OrdinalIgnoreCase does', () => {
    expect(['b', 'A_b', 'a-b', 'Ab', 'a1'].sort(compareOrdinalIgnoreCase)).toEqual([
      'a-b',
      'a1',
      'Ab',
      'A_b',
      'b',
    ]);
  });

  it('passes over a route whose methods do not take the request and answers nothing (404) when none does', () => {
    const table = new RouteTable([
      fn('items-get', 'items/{id}', ['GET']),
      fn('items-delete', 'items/{id}', ['DELETE']),
    ]);
    expect(table.resolve('delete', '/items/7')).toMatchObject({
      route: { name: 'items-delete' },
      params: { id: '7' },
    });
    expect(table.resolve('PUT', '/items/7')).toBeUndefined();
  });

  it('takes every method for a function without methods', () => {
    expect(new RouteTable([fn('any', 'any')]).resolve('PATCH', '/any')?.route.name).toBe('any');
  });

  it.each([
    [
      [fn('a', 'items/{id}', ['GET']), fn('b', '/Items/{id}/', ['POST', 'GET'])],
      "conflicts with the route defined by function 'a'",
    ],
    [[fn('a', 'items', ['GET']), fn('b', 'items')], "conflicts with the route defined by function 'a'"],
    [[fn('a', 'administration/x', ['GET'])], 'conflicts with one or more built in routes'],
    [[fn('a', 'runtime', ['GET'])], 'conflicts with one or more built in routes'],
  ])('refuses what the host refuses (%#)', (functions, message) => {
    expect(() => new RouteTable(functions)).toThrow(message);
  });

  it('hands a repeated query parameter over comma-joined', () => {
    expect(hostQuery(new URLSearchParams('a=1&b=x&a=2&a=&c='))).toEqual({ a: '1,2,', b: 'x', c: '' });
  });
});
