import type { Directory } from '../directory.js';
import type { SimRequest, SimResponse } from '../http-kit.js';
import type { TokenIssuer } from '../token-issuer.js';
import { applicationRoutes } from './applications.js';
import { authorize, GraphAuthenticator } from './caller.js';
import { domainRoutes } from './domains.js';
import { defaultGraphConfig, type GraphConfig } from './graph-config.js';
import { badRequest, graphError } from './graph-error.js';
import type { GraphContext, GraphRoute } from './graph-route.js';
import { groupRoutes } from './groups.js';
import { organizationRoutes } from './organization.js';
import { roleAssignmentRoutes } from './role-assignments.js';
import { servicePrincipalRoutes } from './service-principals.js';
import { GraphSubscriptions } from './subscriptions.js';
import { teamsRoutes } from './teams.js';
import { teamsNumberWriteRoutes } from './teams-number-writes.js';
import { teamsPolicyWriteRoutes } from './teams-policy-writes.js';
import { ResourceUnitThrottle } from './throttle.js';
import { userRoutes } from './users.js';

const maxBatchRequests = 20;

interface BatchRequest {
  id?: string;
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

/** Microsoft Graph v1.0, served under `{baseUrl}/v1.0`. */
export class GraphApi {
  readonly config: GraphConfig = { ...defaultGraphConfig };
  readonly subscriptions = new GraphSubscriptions(this.config);
  readonly throttle = new ResourceUnitThrottle();
  readonly world = { dnsTxtRecords: new Map<string, Map<string, number>>() };
  /** Requests being answered now, and the most there were at once since the count was last reset. */
  readonly concurrency = { now: 0, peak: 0 };
  /** Requests answered 429 for the resource-unit budget. */
  throttledRequests = 0;
  /** Requests received (a batch's inner requests not counted again). */
  requestCount = 0;
  private readonly routes: GraphRoute[];
  private readonly authenticator: GraphAuthenticator;

  constructor(
    private readonly directory: Directory,
    issuer: TokenIssuer,
    /** The Graph endpoint as the connector is configured with it, e.g. https://127.0.0.1:7443/graph. */
    readonly baseUrl: string,
    /** Token audiences Graph accepts: its own endpoint and https://graph.microsoft.com. */
    readonly audiences: readonly string[],
  ) {
    this.authenticator = new GraphAuthenticator(issuer, directory, audiences);
    this.routes = [
      ...userRoutes(this.config, baseUrl),
      ...groupRoutes(this.config, baseUrl),
      ...applicationRoutes(),
      ...servicePrincipalRoutes(),
      ...roleAssignmentRoutes(),
      ...domainRoutes(),
      ...organizationRoutes(),
      ...teamsRoutes(),
      ...teamsNumberWriteRoutes(),
      ...teamsPolicyWriteRoutes(),
      ...this.subscriptions.routes(),
    ];
  }

  /** Serves a request whose path starts with the Graph endpoint's path (e.g. `/graph/v1.0/users`). */
  async handle(request: SimRequest, mountPath: string): Promise<SimResponse> {
    const path = request.url.pathname.slice(mountPath.length);
    if (!path.startsWith('/v1.0/'))
      return graphError(400, 'BadRequest', 'Invalid version: only v1.0 is served.');
    const resourcePath = path.slice('/v1.0'.length);
    this.requestCount += 1;
    this.concurrency.now += 1;
    this.concurrency.peak = Math.max(this.concurrency.peak, this.concurrency.now);
    try {
      const { latencyMs, latencyJitter } = this.config;
      if (latencyMs > 0) {
        const delay = latencyMs * (1 + latencyJitter * (2 * Math.random() - 1));
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      if (resourcePath === '/$batch' && request.method === 'POST')
        return await this.batch(request, mountPath);
      return await this.serve(request, resourcePath);
    } finally {
      this.concurrency.now -= 1;
    }
  }

  private async serve(request: SimRequest, resourcePath: string): Promise<SimResponse> {
    const caller = await this.authenticator.authenticate(request);
    if ('status' in caller) return caller;
    let pathMatched = false;
    for (const candidate of this.routes) {
      const match = candidate.pattern.exec(resourcePath);
      if (!match) continue;
      pathMatched = true;
      if (candidate.method !== request.method) continue;
      request.params = Object.fromEntries(
        Object.entries(match.groups ?? {}).map(([name, value]) => [name, decodeURIComponent(value)]),
      );
      const cost = ResourceUnitThrottle.cost(request, resourcePath);
      const budget = this.throttle.charge(caller.appId, caller.tenant, cost);
      const usageHeaders: Record<string, string> = { 'x-ms-resource-unit': String(cost) };
      if (budget.usage >= 0.8) usageHeaders['x-ms-throttle-limit-percentage'] = budget.usage.toFixed(1);
      if (!budget.allowed) {
        this.throttledRequests += 1;
        return graphError(429, 'TooManyRequests', 'Too many requests.', {
          ...usageHeaders,
          'retry-after': String(budget.retryAfterSeconds),
          'x-ms-throttle-scope': `Tenant_Application/${request.method === 'GET' ? 'Read' : 'ReadWrite'}/${caller.appId}/${caller.tenant.id}`,
          'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
        });
      }
      const denied = authorize(caller, candidate.requirement);
      if (denied) return withHeaders(denied, usageHeaders);
      const context: GraphContext = {
        request,
        caller,
        tenant: caller.tenant,
        directory: this.directory,
        config: this.config,
        baseUrl: this.baseUrl,
        world: this.world,
      };
      return withHeaders(await candidate.handler(context), usageHeaders);
    }
    return pathMatched
      ? graphError(405, 'Request_BadRequest', `The HTTP method '${request.method}' is not allowed here.`)
      : graphError(400, 'BadRequest', `Resource not found for the segment '${resourcePath.split('/')[1]}'.`);
  }

  /** JSON batching: up to 20 requests, each throttled on its own, `dependsOn` honoured (424 after a failure). */
  private async batch(request: SimRequest, mountPath: string): Promise<SimResponse> {
    let body: { requests?: BatchRequest[] } | undefined;
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      body = undefined;
    }
    const requests = body?.requests;
    if (!Array.isArray(requests) || requests.length === 0) return badRequest('Invalid batch payload format.');
    if (requests.length > maxBatchRequests) {
      return badRequest(`The number of requests in the batch exceeds the limit of ${maxBatchRequests}.`);
    }
    const ids = new Set(requests.map((entry) => entry.id));
    if (ids.size !== requests.length || ids.has(undefined))
      return badRequest('Each batch request needs a unique id.');
    const statuses = new Map<string, number>();
    const responses: { id: string; status: number; headers: Record<string, string>; body?: unknown }[] = [];
    for (const entry of requests) {
      const id = entry.id as string;
      const dependencies = entry.dependsOn ?? [];
      if (dependencies.some((dependency) => !statuses.has(dependency))) {
        return badRequest(`Request ${id} depends on a request that does not come before it.`);
      }
      if (dependencies.some((dependency) => (statuses.get(dependency) ?? 500) >= 400)) {
        statuses.set(id, 424);
        responses.push({
          id,
          status: 424,
          headers: {},
          body: { error: { code: 'FailedDependency', message: 'A dependency failed.' } },
        });
        continue;
      }
      const url = new URL(
        `${request.url.origin}${mountPath}/v1.0${(entry.url ?? '').startsWith('/') ? '' : '/'}${entry.url ?? ''}`,
      );
      const inner: SimRequest = {
        method: (entry.method ?? 'GET').toUpperCase(),
        url,
        headers: { ...request.headers, ...lowerCase(entry.headers ?? {}) },
        params: {},
        body: Buffer.from(entry.body === undefined ? '' : JSON.stringify(entry.body)),
      };
      const result = await this.serve(inner, url.pathname.slice(`${mountPath}/v1.0`.length));
      statuses.set(id, result.status);
      responses.push({
        id,
        status: result.status,
        headers: result.headers ?? {},
        ...(result.body === undefined ? {} : { body: result.body }),
      });
    }
    return { status: 200, headers: { 'content-type': 'application/json' }, body: { responses } };
  }
}

function withHeaders(response: SimResponse, headers: Record<string, string>): SimResponse {
  return { ...response, headers: { ...(response.headers ?? {}), ...headers } };
}

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
