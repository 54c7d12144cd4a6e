import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { coreOperations } from '../../src/lib/core-api/core-endpoint.js';
import { openApiDocument } from '../../src/lib/core-api/openapi-document.js';
import { eventCatalogue } from '../../src/lib/events/event-catalogue.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();

describe('OpenAPI document', () => {
  it('is served anonymously at /api/openapi.json and validates as OpenAPI 3.1', async () => {
    const response = await fetch(`${connector.host.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string } & Record<string, unknown>;
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('publishes exactly the built endpoints, each signed and answering problem details', () => {
    const document = openApiDocument(coreOperations());
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'DELETE /invitations/{id}',
        'DELETE /tenants/{tenantId}',
        'GET /credentials',
        'GET /event-delivery',
        'GET /events',
        'GET /invitations',
        'GET /invitations/{id}',
        'GET /status',
        'GET /tenants',
        'GET /tenants/{tenantId}',
        'GET /tenants/{tenantId}/changes',
        'GET /tenants/{tenantId}/replica',
        'GET /tenants/{tenantId}/replica/counts',
        'GET /tenants/{tenantId}/replication-runs',
        'GET /tenants/{tenantId}/validation',
        'POST /invitations',
        'POST /tenants/{tenantId}/reconnect',
        'POST /tenants/{tenantId}/replicate',
        'POST /tenants/{tenantId}/replication-runs/{runId}/release',
        'POST /tenants/{tenantId}/services',
        'GET /tenants/{tenantId}/sites',
        'GET /tenants/{tenantId}/sites/{siteId}',
        'POST /tenants/{tenantId}/sites',
        'POST /tenants/{tenantId}/sites/{siteId}/verify',
        'POST /tenants/{tenantId}/services/{serviceId}/rotate',
        'POST /tenants/{tenantId}/services/{serviceId}/access-tokens',
        'PUT /tenants/{tenantId}/near-real-time',
        'POST /tenants/{tenantId}/number-assignments',
        'POST /tenants/{tenantId}/policy-assignments',
        'GET /tenants/{tenantId}/telephony-requests',
        'GET /tenants/{tenantId}/telephony-requests/{requestId}',
        'PUT /tenants/{tenantId}/write-back',
        'DELETE /tenants/{tenantId}/services/{serviceId}',
        'POST /tenants/{tenantId}/validate',
        'PUT /event-delivery',
      ].sort(),
    );
    const create = (
      document.paths['/invitations'] as Record<
        string,
        { security: unknown; responses: Record<string, unknown> }
      >
    ).post;
    expect(create?.security).toEqual([{ functionKey: [], webhookSignature: [] }]);
    expect(Object.keys(create?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '400', '401', '413']),
    );
    // Offboarding a tenant still being onboarded is refused with 409 tenant_still_onboarding, as the README says.
    const offboard = (
      document.paths['/tenants/{tenantId}'] as Record<string, { responses: Record<string, unknown> }>
    ).delete;
    expect(Object.keys(offboard?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '202', '404', '409']),
    );
  });

  it('describes the change feed’s 410 as a problem document that links the snapshot (or says the tenant is offboarded)', () => {
    const document = openApiDocument(coreOperations());
    type Gone = { allOf: [unknown, { properties: Record<string, unknown> }] };
    const changes = document.paths['/tenants/{tenantId}/changes'] as {
      get: { responses: Record<string, { content: Record<string, { schema: Gone }> }> };
    };
    const gone = changes.get.responses['410']?.content['application/problem+json']?.schema as Gone;
    expect(gone.allOf[0]).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(Object.keys(gone.allOf[1].properties).sort()).toEqual(['offboarding', 'snapshot', 'trimmedUpTo']);
  });

  it('publishes every event of the catalogue under webhooks', () => {
    expect(Object.keys(openApiDocument(coreOperations()).webhooks).sort()).toEqual(
      Object.keys(eventCatalogue).sort(),
    );
  });

  it('is committed as docs/openapi.json, up to date (run `npm run openapi` after changing an endpoint)', () => {
    const committed = JSON.parse(readFileSync('docs/openapi.json', 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(openApiDocument(coreOperations()))));
  });
});
