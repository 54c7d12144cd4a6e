import { describe, expect, it } from 'vitest';
import { hashLinkToken } from '../../src/lib/security/link-token.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector({ INVITATION_LIFETIME_DAYS: '3' });

const valid = {
  customer: { reference: 'CUST-002', name: 'Fabrikam Retail' },
  services: [
    { id: 'dr-london', name: 'Direct Routing London' },
    { id: 'dr-paris', name: 'Direct Routing Paris' },
  ],
  licenceType: 'HostedEssentialsPlus',
  expectedTenant: 'fabrikamretail.onmicrosoft.com',
};

describe('invitations API', () => {
  it('creates an invitation with defaults, a 256-bit token in its link, and stores only the hash', async () => {
    const created = await connector.call('POST', '/invitations', { body: valid });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'pending',
      automaticDns: false,
      method: 'either',
      licenceType: 'HostedEssentialsPlus',
      expectedTenant: 'fabrikamretail.onmicrosoft.com',
    });
    const token = /\/api\/onboarding\/([A-Za-z0-9_-]+)$/.exec(created.body.url)?.[1] as string;
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    const lifetime = Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt);
    expect(lifetime).toBe(3 * 86_400_000);

    const read = await connector.call('GET', `/invitations/${created.body.id}`);
    const { url: _, ...withoutUrl } = created.body;
    expect(read.body).toEqual(withoutUrl);
    const stored = JSON.stringify(await connector.rows(tableNames.invitations));
    expect(stored).not.toContain(token);
    expect(stored).toContain(hashLinkToken(token));
  });

  it('lists newest first, filters by status, and revokes (twice is harmless)', async () => {
    const first = await connector.call('POST', '/invitations', { body: valid });
    const second = await connector.call('POST', '/invitations', {
      body: { ...valid, customer: { reference: 'CUST-003', name: 'Other' } },
    });
    const listed = await connector.call('GET', '/invitations?top=2');
    expect(listed.body.value.map((invitation: { id: string }) => invitation.id)).toEqual([
      second.body.id,
      first.body.id,
    ]);
    expect(
      (await connector.call('DELETE', `/invitations/${first.body.id}`, { body: { id: first.body.id } })).body
        .status,
    ).toBe('revoked');
    expect(
      (await connector.call('DELETE', `/invitations/${first.body.id}`, { body: { id: first.body.id } }))
        .status,
    ).toBe(200);
    const revoked = await connector.call('GET', '/invitations?status=revoked');
    expect(revoked.body.value.map((invitation: { id: string }) => invitation.id)).toEqual([first.body.id]);
  });

  it.each([
    [
      'an unoffered licence type',
      { ...valid, licenceType: 'HostedEssentials' },
      '/body/licenceType',
      'Hosted Essentials Plus and Hosted Pro',
    ],
    ['no services', { ...valid, services: [] }, '/body/services', 'at least one'],
    [
      'duplicate service ids',
      { ...valid, services: [valid.services[0], valid.services[0]] },
      '/body/services',
      'unique',
    ],
    [
      'a service id unfit for Key Vault names',
      { ...valid, services: [{ id: 'dr london', name: 'x' }] },
      '/body/services/0/id',
      'letters, digits or dashes',
    ],
    [
      'an expected tenant that is neither a GUID nor a domain',
      { ...valid, expectedTenant: 'not a tenant' },
      '/body/expectedTenant',
      'GUID or a domain',
    ],
    ['an unknown method', { ...valid, method: 'magic' }, '/body/method', ''],
    ['an unknown property', { ...valid, colour: 'red' }, '/body/colour', 'not a property'],
    [
      'an unknown property of the customer',
      { ...valid, customer: { ...valid.customer, vatNumber: 'GB1' } },
      '/body/customer/vatNumber',
      'not a property',
    ],
    [
      'an unknown property of a service',
      { ...valid, services: [{ ...valid.services[0], region: 'uk' }] },
      '/body/services/0/region',
      'not a property',
    ],
    [
      'a NUL in the customer name',
      { ...valid, customer: { ...valid.customer, name: 'Fabrikam\u0000Retail' } },
      '/body/customer/name',
      'control, invisible formatting or bidirectional',
    ],
    [
      'a bell in a service name',
      { ...valid, services: [{ id: 'dr-london', name: 'London\u0007' }] },
      '/body/services/0/name',
      'control, invisible formatting or bidirectional',
    ],
    [
      'a right-to-left override in the customer reference',
      { ...valid, customer: { ...valid.customer, reference: 'CUST\u202E200' } },
      '/body/customer/reference',
      'control, invisible formatting or bidirectional',
    ],
    [
      'a zero-width space in the customer name',
      { ...valid, customer: { ...valid.customer, name: 'Fabrikam\u200BRetail' } },
      '/body/customer/name',
      'invisible formatting',
    ],
    [
      'a byte order mark in a service name',
      { ...valid, services: [{ id: 'dr-london', name: 'Lon\uFEFFdon' }] },
      '/body/services/0/name',
      'invisible formatting',
    ],
    [
      'a lone surrogate in the customer reference',
      { ...valid, customer: { ...valid.customer, reference: 'CUST\uD800' } },
      '/body/customer/reference',
      'invisible formatting',
    ],
    [
      'a site in a usage location that is no country',
      { ...valid, automaticDns: true, site: { siteId: 'hq', label: 'hq', usageLocation: 'XX' } },
      '/body/site/usageLocation',
      'is not a country code',
    ],
    [
      'a site id of dashes alone',
      { ...valid, automaticDns: true, site: { siteId: '---', label: 'hq', usageLocation: 'GB' } },
      '/body/site/siteId',
      'not dashes alone',
    ],
    ['a missing customer', { services: valid.services, licenceType: 'HostedPro' }, '/body/customer', ''],
  ])('refuses %s with a problem naming the field, and creates nothing', async (_, body, pointer, words) => {
    const before = await connector.count(tableNames.invitations);
    const response = await connector.call('POST', '/invitations', { body });
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('urn:m365-connector:problem:invalid_request');
    const problem = response.body.errors.find((error: { pointer: string }) => error.pointer === pointer);
    expect(problem, JSON.stringify(response.body.errors)).toBeDefined();
    expect(`${problem.detail}`).toContain(words);
    expect(await connector.count(tableNames.invitations)).toBe(before);
  });

  it('refuses __proto__ inside the customer, naming it, and creates nothing', async () => {
    const before = await connector.count(tableNames.invitations);
    const body = JSON.stringify(valid).replace('"customer":{', '"customer":{"__proto__":{"admin":true},');
    const response = await connector.call('POST', '/invitations', { body });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { pointer: '/body/customer/__proto__', detail: 'is not a property this operation takes' },
    ]);
    expect(await connector.count(tableNames.invitations)).toBe(before);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['no content type', undefined],
    ['a JSON-like type', 'application/jsonp'],
  ])('refuses a JSON body sent as %s with 415, and creates nothing', async (_, contentType) => {
    const before = await connector.count(tableNames.invitations);
    const response = await connector.call('POST', '/invitations', {
      body: valid,
      headers: { 'content-type': contentType },
    });
    expect(response.status).toBe(415);
    expect(response.body.type).toBe('urn:m365-connector:problem:unsupported_media_type');
    expect(await connector.count(tableNames.invitations)).toBe(before);
  });

  it('takes application/json with a charset', async () => {
    const response = await connector.call('POST', '/invitations', {
      body: valid,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(response.status).toBe(201);
  });

  it.each([
    ['an id that is not a GUID', 'GET', '/invitations/abc', 400],
    ['an unknown invitation', 'GET', '/invitations/3f2504e0-4f89-41d3-9a0c-0305e82c3301', 404],
    ['revoking an unknown invitation', 'DELETE', '/invitations/3f2504e0-4f89-41d3-9a0c-0305e82c3301', 404],
    ['an unknown status filter', 'GET', '/invitations?status=lost', 400],
    ['a top above 200', 'GET', '/invitations?top=500', 400],
    [
      'a DELETE whose body does not name the invitation',
      'DELETE',
      '/invitations/3f2504e0-4f89-41d3-9a0c-0305e82c3301',
      400,
    ],
    ['a DELETE without a body', 'DELETE', '/invitations/3f2504e0-4f89-41d3-9a0c-0305e82c3301', 400],
  ])('answers %s with a problem', async (name, method, path, status) => {
    const body: Record<string, object> = {
      'revoking an unknown invitation': { id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301' },
      'a DELETE whose body does not name the invitation': { id: '3f2504e0-4f89-41d3-9a0c-0305e82c3302' },
    };
    const response = await connector.call(method, path, body[name] ? { body: body[name] } : {});
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});
