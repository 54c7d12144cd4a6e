import { createHash } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { Settings } from '../config/settings.js';
import { appTokenFacts } from './app-token-facts.js';
import { toCredentialProblem } from './credential-problem.js';

export interface AppToken {
  accessToken: string;
  /** Application permissions granted by admin consent (see app-token-facts.ts). */
  roles: string[];
  /** The app's service principal in the tenant (see app-token-facts.ts). */
  servicePrincipalId: string;
  expiresOn: Date;
}

/**
 * App-only Graph tokens for customer tenants' app registrations. One MSAL client per (tenant, client, secret),
 * kept and reused: MSAL's token cache lives in the client instance. Failures become CredentialProblems.
 */
export class AppTokenProvider {
  private readonly clients = new Map<string, ConfidentialClientApplication>();

  constructor(
    private readonly settings: Pick<Settings, 'authorityHost' | 'graphEndpoint' | 'customAuthority'>,
  ) {}

  get graphScope(): string {
    return `${this.settings.graphEndpoint}/.default`;
  }

  private client(tenantId: string, clientId: string, secret: string): ConfidentialClientApplication {
    const key = `${tenantId}|${clientId}|${createHash('sha256').update(secret).digest('hex')}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new ConfidentialClientApplication({
        auth: {
          clientId,
          clientSecret: secret,
          authority: `${this.settings.authorityHost}/${tenantId}`,
          ...(this.settings.customAuthority
            ? { knownAuthorities: [new URL(this.settings.authorityHost).host] }
            : {}),
        },
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** A Graph token, from cache when one is still good; `fresh` skips the cache (to prove a new secret works). */
  async token(
    tenantId: string,
    clientId: string,
    secret: string,
    options: { fresh?: boolean } = {},
  ): Promise<AppToken> {
    let result: Awaited<ReturnType<ConfidentialClientApplication['acquireTokenByClientCredential']>>;
    try {
      result = await this.client(tenantId, clientId, secret).acquireTokenByClientCredential({
        scopes: [this.graphScope],
        skipCache: options.fresh ?? false,
      });
    } catch (error) {
      throw toCredentialProblem(error);
    }
    if (!result?.accessToken) throw toCredentialProblem({ name: 'ServerError', status: 200 });
    return {
      accessToken: result.accessToken,
      ...appTokenFacts(result.accessToken),
      expiresOn: result.expiresOn ?? new Date(Date.now() + 3_000_000),
    };
  }
}
