import { asError, ConnectorError } from '../errors/connector-error.js';
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
  ) {
    super(`Graph ${status} ${graphCode}: ${message}`);
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
  /** Called before each attempt (e.g. to pace), and with each response's headers. */
  beforeRequest?: () => Promise<void>;
  afterResponse?: (headers: Headers, status: number) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
        response = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(options.headers ?? {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(60_000),
        });
      } catch (error) {
        if (!idempotent || attempt >= this.maxAttempts)
          throw new GraphError(0, 'network', asError(error).message);
        await this.sleep(Math.min(2 ** attempt * 250, 10_000));
        continue;
      }
      this.options.afterResponse?.(response.headers, response.status);
      const retryable = response.status === 429 || (response.status >= 500 && idempotent);
      if (retryable && attempt < this.maxAttempts) {
        await response.body?.cancel();
        const asked = retryAfterMs(response.headers.get('retry-after'));
        const waitMs =
          asked !== undefined && asked > 0
            ? Math.min(asked, this.maxRetryAfterSeconds * 1000)
            : Math.min(2 ** attempt * 250, 10_000);
        await this.sleep(waitMs);
        continue;
      }
      const text = await response.text();
      const parsed = text ? (JSON.parse(text) as unknown) : undefined;
      if (!response.ok) {
        const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
        throw new GraphError(
          response.status,
          error?.code ?? 'unknown',
          error?.message ?? response.statusText,
          response.headers.get('request-id') ?? undefined,
        );
      }
      return { status: response.status, body: parsed as T, headers: response.headers };
    }
  }

  get<T>(token: string, pathOrUrl: string): Promise<T> {
    return this.request<T>(token, 'GET', pathOrUrl).then((response) => response.body);
  }

  post<T>(token: string, path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>(token, 'POST', path, body, options).then((response) => response.body);
  }

  /** Every item of a paged collection, following @odata.nextLink. */
  async all<T>(token: string, path: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const page: { value: T[]; '@odata.nextLink'?: string } = await this.get(token, next);
      items.push(...page.value);
      next = page['@odata.nextLink'];
    }
    return items;
  }
}
