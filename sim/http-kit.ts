import type { IncomingMessage } from 'node:http';

/** What a simulator handler answers. */
export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface SimRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  params: Record<string, string>;
  body: Buffer;
}

export type SimHandler = (request: SimRequest) => Promise<SimResponse> | SimResponse;

export interface SimRoute {
  method: string;
  pattern: RegExp;
  handler: SimHandler;
}

/** A route whose `:name` segments become params (matching one path segment each). */
export function route(method: string, path: string, handler: SimHandler): SimRoute {
  const source = path
    .split('/')
    .map((segment) =>
      segment.startsWith(':')
        ? `(?<${segment.slice(1)}>[^/]+)`
        : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return { method, pattern: new RegExp(`^${source}/?$`, 'i'), handler };
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): SimResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body,
});

export function readForm(request: SimRequest): URLSearchParams {
  return new URLSearchParams(request.body.toString('utf8'));
}

export function readJson<T>(request: SimRequest): T | undefined {
  try {
    return JSON.parse(request.body.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

export function bearerToken(request: SimRequest): string | undefined {
  const header = request.headers.authorization;
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1];
}
