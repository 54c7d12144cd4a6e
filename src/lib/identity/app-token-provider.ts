import { createHash } from 'node:crypto';
import { type ClientAssertionCallback, ConfidentialClientApplication } from '@azure/msal-node';
import type { Settings } from '../config/settings.js';
import type { AppCredential } from './app-credential.js';
import { appTokenFacts } from './app-token-facts.js';
import { toCredentialProblem } from './credential-problem.js';
import type { KeyVaultAssertions } from './key-vault-assertions.js';

export interface AppToken {
  accessToken: string;
  /** Application permissions granted by admin consent (see app-token-facts.ts). */
  roles: string[];
  /** The app's service principal in the tenant (see app-token-facts.ts). */
  servicePrincipalId: string;
  expiresOn: Date;
}

/**
 * App-only tokens (Graph's, and others to hand on) for customer tenants' app registrations. One MSAL client per
 * (tenant, client, secret or certificate version), kept and reused: MSAL's token cache lives in the client
 * instance. A certificate's client assertion is signed by Key Vault through MSAL's `clientAssertion` callback
 * (MSAL's `clientCertificate` would need the private key here). Failures become CredentialProblems.
 */
export class AppTokenProvider {
  private readonly clients = new Map<string, ConfidentialClientApplication>();

  constructor(
    private readonly settings: Pick<Settings, 'authorityHost' | 'graphEndpoint' | 'customAuthority'>,
    private readonly assertions?: KeyVaultAssertions,
  ) {}

  /** The cloud's Microsoft Graph, as a token's resource (`aud`). */
  get graphResource(): string {
    return this.settings.graphEndpoint;
  }

  get graphScope(): string {
    return `${this.graphResource}/.default`;
  }

  private client(credential: AppCredential): ConfidentialClientApplication {
    const { tenantId, clientId } = credential;
    const proof = credential.certificate?.keyUrl ?? credential.secret ?? '';
    const key = `${tenantId}|${clientId}|${createHash('sha256').update(proof).digest('hex')}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new ConfidentialClientApplication({
        auth: {
          clientId,
          ...this.proof(credential),
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

  private proof(
    credential: AppCredential,
  ): { clientSecret: string } | { clientAssertion: ClientAssertionCallback } {
    const { certificate, clientId } = credential;
    if (!certificate) return { clientSecret: credential.secret };
    const { assertions } = this;
    if (!assertions) throw new Error('A certificate credential needs Key Vault to sign its assertions.');
    return {
      clientAssertion: ({ tokenEndpoint }) =>
        assertions.clientAssertion(certificate, clientId, tokenEndpoint ?? this.tokenEndpoint(credential)),
    };
  }

  private tokenEndpoint(credential: AppCredential): string {
    return `${this.settings.authorityHost}/${credential.tenantId}/oauth2/v2.0/token`;
  }

  /** A Graph token, from cache when one is still good; `fresh` skips the cache (to prove a new credential works). */
  async token(credential: AppCredential, options: { fresh?: boolean } = {}): Promise<AppToken> {
    const { accessToken, expiresOn } = await this.acquire(
      credential,
      this.graphScope,
      options.fresh ?? false,
    );
    return { accessToken, ...appTokenFacts(accessToken), expiresOn };
  }

  /**
   * An app-only token for `scope` (a resource's `/.default`) to hand on: MSAL's cached one while it has at least
   * `minLifetimeMs` left, else a new one.
   */
  async handOut(
    credential: AppCredential,
    scope: string,
    minLifetimeMs: number,
    now = Date.now(),
  ): Promise<{ accessToken: string; expiresOn: Date }> {
    const cached = await this.acquire(credential, scope, false);
    if (cached.expiresOn.getTime() - now >= minLifetimeMs) return cached;
    return this.acquire(credential, scope, true);
  }

  private async acquire(
    credential: AppCredential,
    scope: string,
    skipCache: boolean,
  ): Promise<{ accessToken: string; expiresOn: Date }> {
    let result: Awaited<ReturnType<ConfidentialClientApplication['acquireTokenByClientCredential']>>;
    try {
      result = await this.client(credential).acquireTokenByClientCredential({ scopes: [scope], skipCache });
    } catch (error) {
      throw toCredentialProblem(error);
    }
    if (!result?.accessToken) throw toCredentialProblem({ name: 'ServerError', status: 200 });
    return {
      accessToken: result.accessToken,
      expiresOn: result.expiresOn ?? new Date(Date.now() + 3_000_000),
    };
  }
}
