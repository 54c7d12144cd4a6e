import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { functions } from '../hosting/function-registry.js';
import { invocationLogger, type Logger } from '../hosting/logger.js';
import { type FieldProblem, type Problem, problemResponse } from '../http/problem.js';
import type { CachedSecrets } from '../secrets/cached-secrets.js';
import { SignatureRefused, verifyRequestSignature } from '../security/webhook-signature.js';
import { CoreRequestRefused } from './core-request-refused.js';
import { problemFor } from './problem-table.js';
import { readLimitedBody } from './read-limited-body.js';
import type { ReplayGuard } from './replay-guard.js';
import { acceptedRequestSecrets } from './signing-secrets.js';

/** What every core endpoint needs of the app's services before its handler runs. */
export interface EndpointServices {
  secrets: CachedSecrets;
  replayGuard: ReplayGuard;
}

export interface EndpointInput<P, Q, B, S> {
  params: P;
  query: Q;
  body: B;
  services: S;
  log: Logger;
  /** The request's webhook-id, usable as an idempotency key. */
  requestId: string;
}

export interface EndpointResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A core-facing operation: its route, schemas (which also make the OpenAPI document) and handler. */
export interface CoreOperation<P = unknown, Q = unknown, B = unknown, S = unknown> {
  name: string;
  method: HttpMethod;
  /** A Functions route template below /api, e.g. `invitations/{id}`. */
  route: string;
  summary: string;
  tag: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /**
   * Path parameters the body must repeat (a destructive request names what it destroys): the signature covers
   * the body only, so a signed request replayed under another method or path cannot pass for this one.
   */
  bodyRepeats?: readonly (keyof P & string)[];
  /** Each answer: a JSON body's schema, or none for a problem document (with `problemMembers` beside its own). */
  responses: Record<number, { description: string; schema?: z.ZodType; problemMembers?: z.ZodObject }>;
  handler: (input: EndpointInput<P, Q, B, S>) => Promise<EndpointResult>;
}

const operations: CoreOperation[] = [];

/** Every core-facing operation registered so far, for the OpenAPI document. */
export function coreOperations(): readonly CoreOperation[] {
  return operations;
}

/** Each offending field as a JSON pointer (RFC 6901); a property the operation does not take is named itself. */
function fieldProblems(where: 'params' | 'query' | 'body', error: z.ZodError): FieldProblem[] {
  const pointer = (path: readonly PropertyKey[]) =>
    `/${[where, ...path.map((part) => String(part).replaceAll('~', '~0').replaceAll('/', '~1'))].join('/')}`;
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          pointer: pointer([...issue.path, key]),
          detail: 'is not a property this operation takes',
        }))
      : [{ pointer: pointer(issue.path), detail: issue.message }],
  );
}

/** The request's Standard Webhooks signature, or the refusal as the core API answers it. */
function verifiedBy(raw: string, headers: Record<string, string>, secrets: readonly string[]) {
  try {
    return verifyRequestSignature(raw, headers, secrets);
  } catch (error) {
    if (error instanceof SignatureRefused) throw new CoreRequestRefused(error.code, error.message);
    throw error;
  }
}

/** The body names what the path names, or the request is refused (ids compared without regard to case). */
function refuseUnrepeated(names: readonly string[], params: unknown, body: unknown): void {
  const fields = names
    .filter(
      (name) =>
        String((body as Record<string, unknown> | undefined)?.[name] ?? '').toLowerCase() !==
        String((params as Record<string, unknown>)[name]).toLowerCase(),
    )
    .map((name) => ({ pointer: `/body/${name}`, detail: `must repeat the ${name} of the path` }));
  if (fields.length)
    throw new CoreRequestRefused(
      'invalid_request',
      `A request that removes something names it in its body too: send ${names.map((name) => `"${name}"`).join(' and ')} as in the path.`,
      fields,
    );
}

/** A body must say it is JSON (`application/json`, parameters such as charset allowed). */
function requireJson(request: HttpRequest): void {
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json')
    throw new CoreRequestRefused(
      'unsupported_media_type',
      `Send the body with content-type application/json (it came as ${mediaType || 'no content type'}).`,
    );
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: 'params' | 'query' | 'body'): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new CoreRequestRefused('invalid_request', `Check ${where}.`, fieldProblems(where, result.error));
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new CoreRequestRefused('invalid_json', 'Send a JSON document with content-type application/json.', [
      { pointer: '/body', detail: 'not JSON' },
    ]);
  }
}

/**
 * Makes the function that registers core-facing endpoints, given where the app's services come from. Every
 * request goes through, in this order: the body size limit (413 before any HMAC work), the Standard Webhooks
 * signature with every accepted secret, the replay guard (each webhook-id once, across endpoints), the media
 * type (415 unless a body is application/json), the schemas (400 naming each offending field, and each property
 * an operation does not take), then the handler. Refusals are problem details and change nothing. In Azure
 * the function key (authLevel function) is required as well.
 */
export const coreEndpoints =
  <S extends EndpointServices>(services: () => S) =>
  <P, Q, B>(operation: CoreOperation<P, Q, B, S>): void => {
    operations.push(operation as CoreOperation);
    functions.http(operation.name, {
      methods: [operation.method],
      route: operation.route,
      authLevel: 'function',
      handler: (request, context) => handle(operation, services(), request, context),
    });
  };

/** A refusal that says when to ask again (`retryAfterSeconds`) says it in `Retry-After` too. */
function retryAfter(problem: Problem): Record<string, string> {
  const seconds = (problem as Problem & { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof seconds === 'number' ? { 'retry-after': String(seconds) } : {};
}

async function handle<P, Q, B, S extends EndpointServices>(
  operation: CoreOperation<P, Q, B, S>,
  app: S,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  let remembered: string | undefined;
  try {
    const raw = await readLimitedBody(request);
    const headers = Object.fromEntries(request.headers.entries());
    const signed = verifiedBy(raw, headers, await acceptedRequestSecrets(app.secrets));
    await app.replayGuard.remember(signed.id);
    remembered = signed.id;
    const params = parse(operation.params, request.params, 'params');
    const query = parse(operation.query, Object.fromEntries(request.query.entries()), 'query');
    if (operation.body && raw) requireJson(request);
    const body = operation.body
      ? parse(operation.body, raw ? parseJson(raw) : undefined, 'body')
      : (undefined as B);
    if (!operation.body && raw.trim())
      throw new CoreRequestRefused('unexpected_body', 'Send this request without a body.');
    refuseUnrepeated(operation.bodyRepeats ?? [], params, body);
    const result = await operation.handler({
      params,
      query,
      body,
      services: app,
      log: invocationLogger(context),
      requestId: signed.id,
    });
    return {
      status: result.status,
      headers: { 'cache-control': 'no-store', ...(result.headers ?? {}) },
      ...(result.body === undefined ? {} : { jsonBody: result.body }),
    };
  } catch (error) {
    const problem = problemFor(error);
    if (problem.status >= 500) {
      invocationLogger(context).error(`${operation.name} failed`, error);
      if (remembered) await app.replayGuard.forget(remembered);
    } else {
      invocationLogger(context).warn(`${operation.name} refused: ${problem.type} ${problem.detail ?? ''}`, {
        outcome: 'refused',
      });
    }
    return problemResponse(problem, retryAfter(problem));
  }
}
