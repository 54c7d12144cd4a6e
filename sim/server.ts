import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestCertificates } from './certificates.js';
import { controlRoutes } from './control/control-api.js';
import { SimControl } from './control/sim-control.js';
import { Directory } from './directory.js';
import { AuthorizationCodes } from './entra/authorization-codes.js';
import { DeviceCodes } from './entra/device-codes.js';
import { deviceCodeEndpoint, deviceLoginEndpoint, deviceLoginPath } from './entra/device-login.js';
import { jwks, openIdConfiguration } from './entra/openid-metadata.js';
import { adminConsentEndpoint, authorizeEndpoint } from './entra/sign-in.js';
import { tokenEndpoint } from './entra/token-endpoint.js';
import { type FaultRule, Faults } from './faults.js';
import { GraphApi } from './graph/graph-api.js';
import { graphError } from './graph/graph-error.js';
import { publicGraphResource } from './graph/graph-permissions.js';
import { json, route, type SimRequest, type SimResponse, type SimRoute } from './http-kit.js';
import { certificatesApi } from './keyvault/certificates-api.js';
import { secretsApi } from './keyvault/secrets-api.js';
import { SimVault } from './keyvault/vault.js';
import { teamsAdminRoutes } from './teams/teams-admin-api.js';
import { TokenIssuer } from './token-issuer.js';

export interface SimulatorOptions {
  certificates: TestCertificates;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

interface Listener {
  server: Server;
  url: string;
}

const graphMount = '/graph';

/**
 * The Microsoft 365 simulator on HTTPS loopback: Entra ID at the root of its main origin (`/{tenant}/...`, so
 * the origin is an authority host), Microsoft Graph under `/graph`, the control API under `/_sim`, and each
 * Key Vault on an origin of its own (the SDK reads vault URLs as origins). Never deployed.
 */
export class Simulator {
  readonly directory = new Directory();
  readonly vaults = new Map<string, { vault: SimVault; url: string }>();
  readonly codes = new AuthorizationCodes();
  readonly deviceCodes = new DeviceCodes();
  readonly graph: GraphApi;
  /** Changes the simulated cloud while it runs (tests in-process; `/_sim/` over HTTPS). */
  readonly control = new SimControl(this);
  private readonly listeners: Listener[] = [];

  private constructor(
    private readonly options: SimulatorOptions,
    private readonly issuer: TokenIssuer,
    readonly url: string,
    /** Misbehaviour to inject: statuses, latency, connection resets. */
    readonly faults: Faults,
    /** Requests that may have changed the world (any but GET and HEAD), for saving it when it changed. */
    readonly activity: Activity,
  ) {
    this.graph = new GraphApi(this.directory, issuer, this.graphEndpoint, [
      this.graphEndpoint,
      publicGraphResource,
    ]);
  }

  get authorityHost(): string {
    return this.url;
  }

  /** The value for GRAPH_ENDPOINT: requests go to `{graphEndpoint}/v1.0/...`, tokens are for `{graphEndpoint}/.default`. */
  get graphEndpoint(): string {
    return `${this.url}${graphMount}`;
  }

  keyVaultUrl(name: string): string {
    const entry = this.vaults.get(name.toLowerCase());
    if (!entry) throw new Error(`No vault named ${name}.`);
    return entry.url;
  }

  /** Opens a vault on an origin of its own, owned by `tenantId`. */
  async addVault(name: string, tenantId: string): Promise<SimVault> {
    const vault = new SimVault(name.toLowerCase(), tenantId);
    let routes: SimRoute[] = [];
    const listener = await listen(this.options, 0, this.faults, this.activity, async (request, fault) =>
      fault?.status
        ? json(
            fault.status,
            { error: { code: 'ServiceUnavailable', message: 'Injected fault.' } },
            retryAfter(fault),
          )
        : dispatch(routes, request),
    );
    routes = [
      ...secretsApi(vault, listener.url, this.authorityHost, this.issuer),
      ...certificatesApi(vault, listener.url, this.authorityHost, this.issuer),
    ];
    this.listeners.push(listener);
    this.vaults.set(vault.name, { vault, url: listener.url });
    return vault;
  }

  static async start(options: SimulatorOptions): Promise<Simulator> {
    const issuer = await TokenIssuer.create();
    const faults = new Faults();
    const activity: Activity = { writes: 0 };
    let serve: Handle = async () => json(503, {});
    const main = await listen(options, options.port ?? 0, faults, activity, (request, fault) =>
      serve(request, fault),
    );
    const simulator = new Simulator(options, issuer, main.url, faults, activity);
    simulator.listeners.push(main);
    const authority = simulator.authorityHost;
    const { directory, codes, deviceCodes, graph } = simulator;
    const graphResources = [simulator.graphEndpoint, publicGraphResource];
    const routes: SimRoute[] = [
      ...controlRoutes(simulator),
      ...teamsAdminRoutes(directory, issuer),
      route(
        'GET',
        '/:tenant/v2.0/.well-known/openid-configuration',
        openIdConfiguration(authority, directory),
      ),
      route('GET', '/:tenant/discovery/v2.0/keys', jwks(issuer)),
      route('GET', '/:tenant/oauth2/v2.0/authorize', authorizeEndpoint(directory, codes, graphResources)),
      route('POST', '/:tenant/oauth2/v2.0/authorize', authorizeEndpoint(directory, codes, graphResources)),
      route('GET', '/:tenant/v2.0/adminconsent', adminConsentEndpoint(directory)),
      route('POST', '/:tenant/v2.0/adminconsent', adminConsentEndpoint(directory)),
      route(
        'POST',
        '/:tenant/oauth2/v2.0/token',
        tokenEndpoint({ authorityHost: authority, directory, issuer, codes, deviceCodes, graphResources }),
      ),
      route('POST', '/:tenant/oauth2/v2.0/devicecode', deviceCodeEndpoint(directory, deviceCodes, authority)),
      route('GET', deviceLoginPath, deviceLoginEndpoint(directory, deviceCodes, graphResources)),
      route('POST', deviceLoginPath, deviceLoginEndpoint(directory, deviceCodes, graphResources)),
    ];
    serve = async (request, fault) => {
      const isGraph =
        request.url.pathname === graphMount || request.url.pathname.startsWith(`${graphMount}/`);
      if (fault?.status) {
        return isGraph
          ? graphError(
              fault.status,
              fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
              'Injected fault.',
              retryAfter(fault),
            )
          : json(
              fault.status,
              { error: 'temporarily_unavailable', error_description: 'Injected fault.' },
              retryAfter(fault),
            );
      }
      return isGraph ? graph.handle(request, graphMount) : dispatch(routes, request);
    };
    return simulator;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.listeners.map(
        ({ server }) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }
}

type Handle = (request: SimRequest, fault: FaultRule | undefined) => Promise<SimResponse>;
interface Activity {
  writes: number;
}

/** One HTTPS listener. Each request takes at most one injected fault: latency and resets apply here. */
async function listen(
  options: SimulatorOptions,
  port: number,
  faults: Faults,
  activity: Activity,
  handle: Handle,
): Promise<Listener> {
  const server = createServer(
    { cert: options.certificates.cert, key: options.certificates.key },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const url = new URL(req.url ?? '/', `https://${req.headers.host ?? 'localhost'}`);
        const request: SimRequest = {
          method: (req.method ?? 'GET').toUpperCase(),
          url,
          headers: req.headers,
          params: {},
          body: Buffer.concat(chunks),
        };
        if (request.method !== 'GET' && request.method !== 'HEAD') activity.writes += 1;
        const fault = url.pathname.startsWith('/_sim/')
          ? undefined
          : faults.take(url.pathname, request.method);
        if (fault?.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
        if (fault?.reset && !fault.afterWrite) {
          req.socket.destroy();
          return;
        }
        let response: SimResponse;
        try {
          // A fault after the write: the request takes effect, then its answer is lost or replaced.
          const lostAnswer = fault?.afterWrite && (fault.status || fault.reset);
          if (lostAnswer) await handle(request, undefined);
          if (lostAnswer && fault.reset) {
            req.socket.destroy();
            return;
          }
          response = await handle(request, fault);
        } catch (error) {
          response = json(500, { error: { code: 'InternalError', message: (error as Error).message } });
        }
        const body =
          response.body === undefined
            ? ''
            : typeof response.body === 'string'
              ? response.body
              : JSON.stringify(response.body);
        res.writeHead(response.status, response.headers ?? {});
        res.end(body);
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return { server, url: `https://127.0.0.1:${address.port}` };
}

const retryAfter = (fault: FaultRule): Record<string, string> =>
  fault.retryAfterSeconds ? { 'retry-after': String(fault.retryAfterSeconds) } : {};

async function dispatch(routes: SimRoute[], request: SimRequest): Promise<SimResponse> {
  let pathMatched = false;
  for (const candidate of routes) {
    const match = candidate.pattern.exec(request.url.pathname);
    if (!match) continue;
    pathMatched = true;
    if (candidate.method !== request.method) continue;
    request.params = Object.fromEntries(
      Object.entries(match.groups ?? {}).map(([name, value]) => [name, decodeURIComponent(value)]),
    );
    return candidate.handler(request);
  }
  return pathMatched
    ? json(405, { error: { code: 'MethodNotAllowed', message: `${request.method} is not allowed here.` } })
    : json(404, { error: { code: 'NotFound', message: `Nothing is served at ${request.url.pathname}.` } });
}
