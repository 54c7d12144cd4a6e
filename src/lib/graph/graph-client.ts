import { asError, ConnectorError } from '../errors/connector-error.js';
import { sendToGraph } from './graph-telemetry.js';
import { retryAfterMs } from './retry-after.js';

/**
 * A Graph request that failed, with what Graph said (its HTTP status, its own error code, its message) and its
 * request id for support. Never holds a token.
 */
export class GraphError extends ConnectorError {
  readonly code = 'graph_request_failed';

  constructor(
    readonly status: number,
    /** Graph's error code (`error.code`), e.g. `Request_ResourceNotFound`; `network` when Graph was not reached. */
    readonly graphCode: string,
    message: string,
    readonly requestId?: string,
    /** How long Graph asked to wait before trying again (Retry-After), or how long the client would have. */
    readonly retryAfterMs?: number,
  ) {
    super(`Graph ${status} ${graphCode}: ${message}`);
  }

  /** Graph throttled the request, failed on its side or was not reached: trying again later may well work. */
  get transient(): boolean {
    return this.status === 429 || this.status >= 500 || this.status === 0;
  }
}

export interface GraphResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  /**
   * The request may be sent again when its answer is lost (a 5xx, a network failure) without doing its work twice.
   * GET, PUT, PATCH and DELETE are; a POST only when the caller says so (Graph refuses its duplicate).
   */
  idempotent?: boolean;
  headers?: Record<string, string>;
}

export interface GraphClientOptions {
  /** The Graph endpoint, without version (settings.graphEndpoint). */
  endpoint: string;
  /** How many times a throttled (429) or failed (5xx, network) request is tried in all. */
  maxAttempts?: number;
  /** Longest wait honoured from Retry-After, in seconds. */
  maxRetryAfterSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * When the caller's time is up (epoch ms): a wait that would end later is not waited here; the request fails with
   * the wait it needs in `retryAfterMs`, for the caller to wait out (e.g. by coming back later).
   */
  deadline?: () => number;
  /** Called before each attempt (e.g. to pace), and with each response's headers. */
  beforeRequest?: () => Promise<void>;
  afterResponse?: (headers: Headers, status: number) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Exponential back-off for a failure without Retry-After: 0.5 s, 1 s, 2 s, … up to 10 s. */
const backoffMs = (attempt: number) => Math.min(2 ** attempt * 250, 10_000);

/** Graph's error body; an error page that is not JSON (a gateway's HTML) reads as none. */
function errorBody(text: string): { error?: { code?: string; message?: string } } | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as { error?: { code?: string; message?: string } };
  } catch {
    return undefined;
  }
}

/**
 * Microsoft Graph v1.0 over fetch: waits out a 429 as its Retry-After asks (a throttled request was not carried
 * out, so any request is sent again), backs off exponentially on 5xx and network failures for idempotent
 * requests only (a POST whose answer was lost may have taken effect), and turns Graph's error shape into
 * GraphError.
 */
export class GraphClient {
  private readonly maxAttempts: number;
  private readonly maxRetryAfterSeconds: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: GraphClientOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? 60;
    this.sleep = options.sleep ?? defaultSleep;
  }

  url(pathOrUrl: string): string {
    return pathOrUrl.startsWith('https://') ? pathOrUrl : `${this.options.endpoint}/v1.0${pathOrUrl}`;
  }

  async request<T>(
    token: string,
    method: string,
    pathOrUrl: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<GraphResponse<T>> {
    const url = this.url(pathOrUrl);
    const idempotent = options.idempotent ?? method.toUpperCase() !== 'POST';
    for (let attempt = 1; ; attempt += 1) {
      let response: Response | undefined;
      await this.options.beforeRequest?.();
      try {
        response = await sendToGraph(method, url, token, () =>
          fetch(url, {
            method,
            headers: {
              authorization: `Bearer ${token}`,
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              ...(options.headers ?? {}),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(60_000),
          }),
        );
      } catch (error) {
        const waitMs = backoffMs(attempt);
        if (!idempotent || attempt >= this.maxAttempts || this.pastDeadline(waitMs))
          throw new GraphError(0, 'network', asError(error).message, undefined, waitMs);
        await this.sleep(waitMs);
        continue;
      }
      this.options.afterResponse?.(response.headers, response.status);
      const retryable = response.status === 429 || (response.status >= 500 && idempotent);
      const asked = retryAfterMs(response.headers.get('retry-after'));
      const waitMs = asked !== undefined && asked > 0 ? asked : backoffMs(attempt);
      if (retryable && attempt < this.maxAttempts && !this.pastDeadline(waitMs)) {
        await response.body?.cancel();
        await this.sleep(Math.min(waitMs, this.maxRetryAfterSeconds * 1000));
        continue;
      }
      const text = await response.text();
      if (!response.ok) {
        const parsed = errorBody(text);
        const error = parsed?.error;
        throw new GraphError(
          response.status,
          error?.code ?? 'unknown',
          error?.message ?? response.statusText,
          response.headers.get('request-id') ?? undefined,
          retryable ? waitMs : undefined,
        );
      }
      return {
        status: response.status,
        body: (text ? JSON.parse(text) : undefined) as T,
        headers: response.headers,
      };
    }
  }

  private pastDeadline(waitMs: number): boolean {
    return this.options.deadline !== undefined && Date.now() + waitMs > this.options.deadline();
  }

  get<T>(token: string, pathOrUrl: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>(token, 'GET', pathOrUrl, undefined, options).then((response) => response.body);
  }

  post<T>(token: string, path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>(token, 'POST', path, body, options).then((response) => response.body);
  }

  /** Every item of a paged collection, following @odata.nextLink (each page asked with the same headers). */
  async all<T>(token: string, path: string, options: RequestOptions = {}): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const page: { value: T[]; '@odata.nextLink'?: string } = await this.get(token, next, options);
      items.push(...page.value);
      next = page['@odata.nextLink'];
    }
    return items;
  }
}
