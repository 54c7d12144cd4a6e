import type { HttpResponseInit } from '@azure/functions';
import { coreOperations } from '../lib/core-api/core-endpoint.js';
import { openApiDocument } from '../lib/core-api/openapi-document.js';
import { functions } from '../lib/hosting/function-registry.js';

/**
 * GET /api/openapi.json — the OpenAPI 3.1 document of the core-facing API and its events (anonymous). The host
 * loads every function file before serving, so every operation is registered by the first request.
 */
export async function openapi(): Promise<HttpResponseInit> {
  return {
    status: 200,
    headers: { 'cache-control': 'public, max-age=300' },
    jsonBody: openApiDocument(coreOperations()),
  };
}

functions.http('openapi', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'openapi.json',
  handler: openapi,
});
