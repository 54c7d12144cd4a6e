import { connectorMetrics } from '../telemetry/connector-metrics.js';
import { inSpan, SpanKind } from '../telemetry/connector-tracing.js';

const tenants = new Map<string, string>();

/** The tenant a Graph token is for (its `tid` claim, read, not verified: it only labels telemetry). */
export function tenantOfToken(token: string): string {
  const known = tenants.get(token);
  if (known) return known;
  let tenantId = 'unknown';
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      tid?: unknown;
    };
    if (typeof payload.tid === 'string') tenantId = payload.tid;
  } catch {
    // Not a JWT: the telemetry says unknown.
  }
  if (tenants.size > 1_000) tenants.clear();
  tenants.set(token, tenantId);
  return tenantId;
}

/**
 * A Graph URL's path with what names a person, a number or an object put as `{id}` (ids, user principal names,
 * phone numbers, keys in parentheses) and no query: what a span may carry.
 */
export function graphUrlTemplate(url: string): string {
  return new URL(url).pathname
    .replace(/\([^)]*\)/g, '({id})')
    .split('/')
    .map((segment) => (namesSomething(segment) ? '{id}' : segment))
    .join('/');
}

/** A path segment that is an object's id, a user principal name or a phone number, not a resource's name. */
function namesSomething(segment: string): boolean {
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // Left as it came.
  }
  return /^[0-9a-f-]{32,36}$/i.test(decoded) || decoded.includes('@') || /^\+?\d{5,}$/.test(decoded);
}

/**
 * One request to Graph as a client span (method, host, the URL's template, the answer's status, the tenant) and
 * counted per tenant and answer (a 429 counted as throttled). No header, body or query reaches either.
 */
export function sendToGraph(
  method: string,
  url: string,
  token: string,
  send: () => Promise<Response>,
): Promise<Response> {
  const tenantId = tenantOfToken(token);
  const template = graphUrlTemplate(url);
  return inSpan(
    `${method.toUpperCase()} ${template}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method.toUpperCase(),
        'server.address': new URL(url).host,
        'url.template': template,
        tenantId,
      },
    },
    async (span) => {
      try {
        const response = await send();
        span.setAttribute('http.response.status_code', response.status);
        connectorMetrics.graphAnswered(tenantId, response.status);
        return response;
      } catch (error) {
        connectorMetrics.graphAnswered(tenantId, 0);
        throw error;
      }
    },
  );
}
