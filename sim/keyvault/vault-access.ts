import { bearerToken, json, type SimRequest, type SimResponse } from '../http-kit.js';
import type { TokenIssuer } from '../token-issuer.js';
import type { SimVault } from './vault.js';

/** The resource Key Vault tokens are issued for, whatever the vault's host. */
export const keyVaultResource = 'https://vault.azure.net';
export const purgeAfterDays = 90;

export const vaultError = (
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) => json(status, { error: { code, message } }, headers);

export const seconds = () => Math.floor(Date.now() / 1000);

/**
 * Runs a handler when the caller holds a valid Key Vault token of an app the vault allows; answers with the bearer
 * challenge the SDK expects otherwise (https://learn.microsoft.com/azure/key-vault/general/authentication-requests-and-responses).
 */
export function vaultAccess(vault: SimVault, authorityHost: string, issuer: TokenIssuer) {
  return (
    what: 'secrets' | 'certificates' | 'keys',
    handler: (request: SimRequest, name: string) => SimResponse | Promise<SimResponse>,
  ) =>
    async (request: SimRequest): Promise<SimResponse> => {
      const challenge = {
        'www-authenticate': `Bearer authorization="${authorityHost}/${vault.tenantId}", resource="${keyVaultResource}"`,
      };
      const token = bearerToken(request);
      if (!token)
        return vaultError(
          401,
          'Unauthorized',
          'AKV10000: Request is missing a Bearer or PoP token.',
          challenge,
        );
      const claims = await issuer.verify(token, keyVaultResource);
      if (!claims)
        return vaultError(401, 'Unauthorized', 'AKV10022: Invalid audience or expired token.', challenge);
      if (claims.tid !== vault.tenantId || !vault.allowedAppIds.has(String(claims.appid))) {
        // A vault on Azure RBAC (as the template makes it) answers this way, pointing at role propagation.
        return json(403, {
          error: {
            code: 'Forbidden',
            message: `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=${claims.appid}\r\nAction: 'Microsoft.KeyVault/vaults/${what}/read'\r\nResource: '${vault.name}'`,
            innererror: { code: 'ForbiddenByRbac' },
          },
        });
      }
      return handler(request, request.params.name ?? '');
    };
}
