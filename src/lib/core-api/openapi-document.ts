import { z } from 'zod';
import { eventCatalogue, eventEnvelopeSchema } from '../events/event-catalogue.js';
import { version } from '../version.js';
import type { CoreOperation } from './core-endpoint.js';
import { maxCoreBodyBytes } from './read-limited-body.js';

type JsonSchema = Record<string, unknown>;

const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
};

const problemSchema: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', format: 'uri-reference' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pointer', 'detail'],
        properties: {
          pointer: { type: 'string', description: 'A JSON pointer: /body/..., /query/..., /params/...' },
          detail: { type: 'string' },
        },
      },
    },
  },
};

const problemRef = { $ref: '#/components/schemas/Problem' };
const problem = (description: string, members?: z.ZodObject) => ({
  description,
  content: {
    'application/problem+json': {
      schema: members ? { allOf: [problemRef, schemaOf(members, 'output')] } : problemRef,
    },
  },
});

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

function operationObject(operation: CoreOperation) {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(operation.responses)) {
    responses[status] = response.schema
      ? {
          description: response.description,
          content: { 'application/json': { schema: schemaOf(response.schema, 'output') } },
        }
      : problem(response.description, response.problemMembers);
  }
  responses['400'] ??= problem('The request is not valid: `errors` names each offending field.');
  responses['401'] = problem(
    'Not signed by the platform core: a missing or malformed header, a timestamp outside five minutes, no matching signature, or a replayed webhook-id.',
  );
  responses['413'] = problem(`The body is larger than ${maxCoreBodyBytes} bytes.`);
  if (operation.body) responses['415'] = problem('The body is not sent as application/json.');
  return {
    operationId: operation.name,
    summary: operation.summary,
    tags: [operation.tag],
    security: [{ functionKey: [], webhookSignature: [] }],
    parameters: [...parameters(operation.params, 'path'), ...parameters(operation.query, 'query')],
    ...(operation.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(operation.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the core-facing API and of the events the connector sends (`webhooks`). */
export function openApiDocument(operations: readonly CoreOperation[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of [...operations].sort((a, b) => a.route.localeCompare(b.route))) {
    const path = `/${operation.route}`;
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[operation.method.toLowerCase()] = operationObject(operation);
  }
  const webhooks = Object.fromEntries(
    Object.entries(eventCatalogue).map(([type, data]) => [
      type,
      {
        post: {
          summary: `The ${type} event`,
          description:
            'Sent to CORE_WEBHOOK_URL, signed the Standard Webhooks way (webhook-id = the event id, also the idempotency key; webhook-timestamp; webhook-signature). Retried with backoff until a 2xx; a 410 turns delivery off.',
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: schemaOf(eventEnvelopeSchema(data.extend({})), 'output') },
            },
          },
          responses: { '2XX': { description: 'Received.' }, '410': { description: 'Stop sending events.' } },
        },
      },
    ]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'M365 Tenant Connector — platform core API',
      version,
      description:
        'Called by the Live Platform core. Every request is signed with Standard Webhooks (HMAC-SHA256 over `webhook-id.webhook-timestamp.body` with a `whsec_` secret; timestamps within five minutes; each webhook-id once) and, in Azure, carries the function key. Errors are RFC 9457 problem details.',
    },
    servers: [{ url: '/api' }],
    paths,
    webhooks,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        functionKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-functions-key',
          description: 'The Function app key (Azure).',
        },
        webhookSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'webhook-signature',
          description:
            'Standard Webhooks: `v1,<base64 HMAC-SHA256>` entries, with webhook-id and webhook-timestamp headers.',
        },
      },
    },
  };
}
