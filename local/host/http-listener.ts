import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HttpFunctionOptions, HttpResponseInit } from '@azure/functions';
import azureFunctions from '@azure/functions';
import { stringifySetCookie } from 'cookie';
import { constantTimeEqual } from '../../src/lib/security/constant-time-equal.js';
import { type HostLog, invokeFunction } from './invoke.js';
import { RouteTable } from './route-table.js';

export interface HttpListenerOptions {
  functions: { name: string; options: HttpFunctionOptions }[];
  routePrefix: string;
  functionTimeoutMs: number;
  functionKey: string;
  masterKey: string;
  log: HostLog;
  /** `POST /admin/functions/{name}`: runs a non-HTTP function now; false when no such function exists. */
  runNow: (name: string, input: string) => boolean;
}

/**
 * The query as the Functions host hands it to a worker: one entry per name, a parameter given more than once
 * with its values joined by commas (ASP.NET's `StringValues.ToString()` in `GrpcMessageConversionExtensions.ToRpcHttp`).
 */
export function hostQuery(search: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const name of new Set(search.keys())) query[name] = search.getAll(name).join(',');
  return query;
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function presentedKey(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers['x-functions-key'];
  return (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? undefined;
}

async function writeResponse(response: ServerResponse, result: HttpResponseInit | undefined): Promise<void> {
  const init =
    result instanceof azureFunctions.HttpResponse ? result : new azureFunctions.HttpResponse(result ?? {});
  const headers: Record<string, string | string[]> = {};
  init.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const cookies = init.cookies.map((cookie) =>
    stringifySetCookie(cookie.name, cookie.value, {
      domain: cookie.domain,
      path: cookie.path,
      expires: typeof cookie.expires === 'number' ? new Date(cookie.expires) : cookie.expires,
      secure: cookie.secure,
      httpOnly: cookie.httpOnly,
      sameSite: cookie.sameSite?.toLowerCase() as 'strict' | 'lax' | 'none' | undefined,
      maxAge: cookie.maxAge,
    }),
  );
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const body = Buffer.from(await init.arrayBuffer());
  response.writeHead(init.status, headers);
  response.end(body);
}

function parseAdminInput(body: string): string | undefined {
  if (!body.trim()) return '';
  try {
    const input = (JSON.parse(body) as { input?: unknown } | null)?.input;
    return typeof input === 'string' ? input : input === undefined ? '' : JSON.stringify(input);
  } catch {
    return undefined;
  }
}

function plain(response: ServerResponse, status: number, text = ''): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}

/** Serves HTTP-triggered functions on their routes, honouring auth levels, plus the admin "run now" endpoint. */
export function createHttpListener(options: HttpListenerOptions): Server {
  const table = new RouteTable(options.functions);
  const prefix = options.routePrefix ? `/${options.routePrefix}` : '';
  const keyMatches = (key: string | undefined, ...accepted: string[]) =>
    key !== undefined && accepted.some((candidate) => constantTimeEqual(key, candidate));

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = (request.method ?? 'GET').toUpperCase();

    const admin = /^\/admin\/functions\/([^/]+)$/i.exec(url.pathname);
    if (admin) {
      if (method !== 'POST') return plain(response, 405);
      if (!keyMatches(presentedKey(request, url), options.masterKey)) return plain(response, 401);
      const input = parseAdminInput((await readBody(request)).toString('utf8'));
      if (input === undefined) return plain(response, 400, 'The body must be JSON like {"input": "..."}.');
      return plain(response, options.runNow(decodeURIComponent(admin[1] ?? ''), input) ? 202 : 404);
    }

    const lowerPath = url.pathname.toLowerCase();
    if (prefix && lowerPath !== prefix && !lowerPath.startsWith(`${prefix}/`)) return plain(response, 404);
    const path = url.pathname.slice(prefix.length);
    const matched = table.resolve(method, path);
    if (!matched) return plain(response, 404);
    const { route, params } = matched;

    const authLevel = route.options.authLevel ?? 'anonymous';
    const key = presentedKey(request, url);
    if (authLevel === 'function' && !keyMatches(key, options.functionKey, options.masterKey)) {
      return plain(response, 401);
    }
    if (authLevel === 'admin' && !keyMatches(key, options.masterKey)) return plain(response, 401);

    const body = await readBody(request);
    const httpRequest = new azureFunctions.HttpRequest({
      method,
      url: `http://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`,
      headers: headersOf(request),
      query: hostQuery(url.searchParams),
      params,
      body: body.length > 0 ? { bytes: body } : undefined,
    });
    const result = await invokeFunction(route.name, options.functionTimeoutMs, options.log, {}, (context) =>
      route.options.handler(httpRequest, context),
    );
    await writeResponse(response, result as HttpResponseInit | undefined);
  }

  return createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // Like the Functions host, answer 500 without details; the log has them.
      options.log(
        'error',
        `${request.method} ${request.url?.split('?')[0]} failed: ${(error as Error).message}`,
      );
      if (!response.headersSent) plain(response, 500);
      else response.destroy();
    });
  });
}
