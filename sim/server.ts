import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestCertificates } from './certificates.js';
import { Directory } from './directory.js';
import { jwks, openIdConfiguration } from './entra/openid-metadata.js';
import { tokenEndpoint } from './entra/token-endpoint.js';
import { json, route, type SimRequest, type SimResponse, type SimRoute } from './http-kit.js';
import { secretsApi } from './keyvault/secrets-api.js';
import { SimVault } from './keyvault/vault.js';
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

/**
 * The Microsoft 365 simulator on HTTPS loopback: Entra ID at the root of its main origin (`/{tenant}/...`, so
 * the origin is an authority host), and each Key Vault on an origin of its own (the SDK reads vault URLs as
 * origins). Never deployed.
 */
export class Simulator {
  readonly directory = new Directory();
  readonly vaults = new Map<string, { vault: SimVault; url: string }>();
  private readonly listeners: Listener[] = [];

  private constructor(
    private readonly options: SimulatorOptions,
    private readonly issuer: TokenIssuer,
    readonly url: string,
  ) {}

  get authorityHost(): string {
    return this.url;
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
    const listener = await listen(this.options, { ...this.options, port: 0 }, () => routes);
    routes = secretsApi(vault, listener.url, this.authorityHost, this.issuer);
    this.listeners.push(listener);
    this.vaults.set(vault.name, { vault, url: listener.url });
    return vault;
  }

  static async start(options: SimulatorOptions): Promise<Simulator> {
    const issuer = await TokenIssuer.create();
    let routes: SimRoute[] = [];
    const main = await listen(options, options, () => routes);
    const simulator = new Simulator(options, issuer, main.url);
    simulator.listeners.push(main);
    const authority = simulator.authorityHost;
    const directory = simulator.directory;
    routes = [
      route(
        'GET',
        '/:tenant/v2.0/.well-known/openid-configuration',
        openIdConfiguration(authority, directory),
      ),
      route('GET', '/:tenant/discovery/v2.0/keys', jwks(issuer)),
      route('POST', '/:tenant/oauth2/v2.0/token', tokenEndpoint(authority, directory, issuer)),
    ];
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

async function listen(
  options: SimulatorOptions,
  at: { host?: string; port?: number },
  routes: () => SimRoute[],
): Promise<Listener> {
  const server = createServer(
    { cert: options.certificates.cert, key: options.certificates.key },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'https://localhost');
        const request: SimRequest = {
          method: (req.method ?? 'GET').toUpperCase(),
          url,
          headers: req.headers,
          params: {},
          body: Buffer.concat(chunks),
        };
        dispatch(routes(), request)
          .catch((error: unknown) =>
            json(500, { error: { code: 'InternalError', message: (error as Error).message } }),
          )
          .then((response) => {
            const body =
              response.body === undefined
                ? ''
                : typeof response.body === 'string'
                  ? response.body
                  : JSON.stringify(response.body);
            res.writeHead(response.status, response.headers ?? {});
            res.end(body);
          });
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port ?? 0, at.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `https://127.0.0.1:${port}` };
}

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
