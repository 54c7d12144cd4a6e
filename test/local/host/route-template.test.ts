import { describe, expect, it } from 'vitest';
import { RouteTemplate } from '../../../local/host/route-template.js';

describe('RouteTemplate', () => {
  it.each([
    ['health', '/health', {}],
    ['Health', '/HEALTH/', {}],
    ['invitations/{id}', '/invitations/abc', { id: 'abc' }],
    ['invitations/{id}', '/invitations/a%20b', { id: 'a b' }],
    [
      'tenants/{tenantId}/services/{serviceId}',
      '/tenants/t1/services/s2',
      { tenantId: 't1', serviceId: 's2' },
    ],
    ['items/{id?}', '/items', {}],
    ['items/{id?}', '/items/7', { id: '7' }],
    ['files/{*path}', '/files/a/b/c.txt', { path: 'a/b/c.txt' }],
    ['files/{*path}', '/files', {}],
    ['orders/{id:int}', '/orders/42', { id: '42' }],
    [
      'tenants/{id:guid}',
      '/tenants/3f2504e0-4f89-11d3-9a0c-0305e82c3301',
      { id: '3f2504e0-4f89-11d3-9a0c-0305e82c3301' },
    ],
  ])('%s matches %s', (template, path, params) => {
    expect(new RouteTemplate(template).match(path)).toEqual(params);
  });

  it.each([
    ['health', '/healthz'],
    ['invitations/{id}', '/invitations'],
    ['invitations/{id}', '/invitations/a/b'],
    ['orders/{id:int}', '/orders/forty-two'],
    ['tenants/{id:guid}', '/tenants/not-a-guid'],
    ['items/{id?}', '/items/1/2'],
  ])('%s does not match %s', (template, path) => {
    expect(new RouteTemplate(template).match(path)).toBeUndefined();
  });

  it.each([
    ['files/{*path}/more', 'a catch-all must be the last segment'],
    ['items/{id?}/more', 'only the last parameter may be optional'],
    ['items/{id:regex(x)}', 'cannot read segment'],
    ['items/{id:decimal}', "does not know the constraint 'decimal'"],
  ])('refuses the template %s', (template, message) => {
    expect(() => new RouteTemplate(template)).toThrow(message);
  });
});
