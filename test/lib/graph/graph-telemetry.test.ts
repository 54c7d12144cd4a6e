import { describe, expect, it } from 'vitest';
import { graphUrlTemplate, tenantOfToken } from '../../../src/lib/graph/graph-telemetry.js';

describe('what a Graph span may carry', () => {
  it('keeps the path’s shape and puts ids, user principal names, numbers and keys as {id}, without the query', () => {
    const graph = 'https://graph.microsoft.com';
    expect(graphUrlTemplate(`${graph}/v1.0/users/delta?$select=id&$deltatoken=abc`)).toBe(
      '/v1.0/users/delta',
    );
    expect(graphUrlTemplate(`${graph}/v1.0/groups/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/members`)).toBe(
      '/v1.0/groups/{id}/members',
    );
    expect(graphUrlTemplate(`${graph}/v1.0/users/gail.global%40contoso.onmicrosoft.com`)).toBe(
      '/v1.0/users/{id}',
    );
    expect(graphUrlTemplate(`${graph}/v1.0/users/alice@contoso.com/memberOf`)).toBe(
      '/v1.0/users/{id}/memberOf',
    );
    expect(
      graphUrlTemplate(
        `${graph}/v1.0/admin/teams/telephoneNumberManagement/numberAssignments('+14255550100')`,
      ),
    ).toBe('/v1.0/admin/teams/telephoneNumberManagement/numberAssignments({id})');
    expect(graphUrlTemplate(`${graph}/beta/domains/sbc1.customers.example.net/verify`)).toBe(
      '/beta/domains/sbc1.customers.example.net/verify',
    );
  });

  it('reads the tenant from a token’s tid claim, and says unknown for anything else', () => {
    const payload = Buffer.from(JSON.stringify({ tid: 'c0ffee00-0000-4000-8000-000000000001' })).toString(
      'base64url',
    );
    expect(tenantOfToken(`eyJhbGciOiJub25lIn0.${payload}.sig`)).toBe('c0ffee00-0000-4000-8000-000000000001');
    expect(tenantOfToken('not-a-jwt')).toBe('unknown');
    expect(tenantOfToken('a.%%%.b')).toBe('unknown');
  });
});
