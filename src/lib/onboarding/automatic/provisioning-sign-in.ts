import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import type { Settings } from '../../config/settings.js';
import { toCredentialProblem } from '../../identity/credential-problem.js';
import type { CachedSecrets } from '../../secrets/cached-secrets.js';
import { adminConsentRedirectUri, signInRedirectUri } from '../onboarding-urls.js';

/** Key Vault name of the provisioning app's client secret. */
export const provisioningSecretName = 'provisioning-client-secret';

/**
 * What the signing admin lets the provisioning app do for them (delegated): read their own directory roles
 * (User.Read), create and set up the app.
 */
export const delegatedScopes = [
  'User.Read',
  'Application.ReadWrite.All',
  // Graph's table for adding the app as its own owner asks for it beside Application.ReadWrite.All.
  'Directory.Read.All',
  'AppRoleAssignment.ReadWrite.All',
  'RoleManagement.ReadWrite.Directory',
];

export interface SignedInAdmin {
  tenantId: string;
  userId: string;
  /**
   * Directory role template ids from the id_token's `wids`; undefined when the token has none (the provisioning
   * app's manifest does not ask for them).
   */
  wids?: string[];
  accessToken: string;
}

/**
 * The admin's sign-in with the operator's multi-tenant provisioning app: auth code + PKCE S256 (set explicitly:
 * MSAL's default is plain), the tenant taken from the id_token's `tid`.
 */
export class ProvisioningSignIn {
  private client: { secret: string; app: ConfidentialClientApplication } | undefined;
  private readonly crypto = new CryptoProvider();

  constructor(
    private readonly settings: Pick<
      Settings,
      'authorityHost' | 'graphEndpoint' | 'customAuthority' | 'publicBaseUrl' | 'provisioningClientId'
    >,
    private readonly secrets: CachedSecrets,
  ) {}

  get configured(): boolean {
    return Boolean(this.settings.provisioningClientId);
  }

  get redirectUri(): string {
    return signInRedirectUri(this.settings.publicBaseUrl);
  }

  get scopes(): string[] {
    return [
      'openid',
      'profile',
      ...delegatedScopes.map((scope) => `${this.settings.graphEndpoint}/${scope}`),
    ];
  }

  private async app(): Promise<ConfidentialClientApplication> {
    const secret = await this.secrets.get(provisioningSecretName);
    if (this.client?.secret !== secret) {
      this.client = {
        secret,
        app: new ConfidentialClientApplication({
          auth: {
            clientId: this.settings.provisioningClientId ?? '',
            clientSecret: secret,
            authority: `${this.settings.authorityHost}/organizations`,
            ...(this.settings.customAuthority
              ? { knownAuthorities: [new URL(this.settings.authorityHost).host] }
              : {}),
          },
        }),
      };
    }
    return this.client.app;
  }

  pkce(): Promise<{ verifier: string; challenge: string }> {
    return this.crypto.generatePkceCodes();
  }

  /** Where to send the admin: the tenant the invitation expects, or any work account. */
  async authorizeUrl(input: { state: string; challenge: string; tenantHint?: string }): Promise<string> {
    return (await this.app()).getAuthCodeUrl({
      scopes: this.scopes,
      redirectUri: this.redirectUri,
      state: input.state,
      codeChallenge: input.challenge,
      codeChallengeMethod: 'S256',
      prompt: 'select_account',
      authority: `${this.settings.authorityHost}/${input.tenantHint ?? 'organizations'}`,
    });
  }

  async redeem(code: string, verifier: string): Promise<SignedInAdmin> {
    try {
      const result = await (await this.app()).acquireTokenByCode({
        code,
        scopes: this.scopes,
        redirectUri: this.redirectUri,
        codeVerifier: verifier,
      });
      const claims = result.idTokenClaims as { tid?: string; oid?: string; wids?: string[] };
      return {
        tenantId: (claims.tid ?? '').toLowerCase(),
        userId: claims.oid ?? '',
        ...(claims.wids ? { wids: claims.wids.map((id) => id.toLowerCase()) } : {}),
        accessToken: result.accessToken,
      };
    } catch (error) {
      throw toCredentialProblem(error);
    }
  }

  /** The admin-consent link for the new app in its tenant, coming back to the connector with `state`. */
  adminConsentUrl(tenantId: string, clientId: string, state: string): string {
    const query = new URLSearchParams({
      client_id: clientId,
      scope: `${this.settings.graphEndpoint}/.default`,
      redirect_uri: adminConsentRedirectUri(this.settings.publicBaseUrl),
      state,
    });
    return `${this.settings.authorityHost}/${tenantId}/v2.0/adminconsent?${query}`;
  }
}
