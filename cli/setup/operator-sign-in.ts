import { PublicClientApplication } from '@azure/msal-node';
import { CliError } from '../connector-client.js';
import type { SetupTarget } from './setup-target.js';

/**
 * Microsoft Graph Command Line Tools: Microsoft's public client in every tenant, the one Microsoft Graph
 * PowerShell signs in with. `--client-id` replaces it where a tenant blocks it.
 */
export const defaultSetupClientId = '14d82eec-204b-4c2f-b7e8-296a70dab67e';

export interface OperatorSession {
  accessToken: string;
  tenantId: string;
  username: string;
}

/**
 * The operator's own sign-in, by device code (a terminal has no browser to return to): the message with the code
 * is shown, and the call returns once the operator has signed in elsewhere, or fails saying why.
 */
export async function signInOperator(
  target: SetupTarget,
  clientId: string,
  scopes: string[],
  show: (message: string) => void,
): Promise<OperatorSession> {
  const app = new PublicClientApplication({
    auth: {
      clientId,
      authority: `${target.authorityHost}/${target.tenant}`,
      ...(target.customAuthority ? { knownAuthorities: [new URL(target.authorityHost).host] } : {}),
    },
  });
  try {
    const result = await app.acquireTokenByDeviceCode({
      scopes: scopes.map((scope) => `${target.graphEndpoint}/${scope}`),
      deviceCodeCallback: (response) => show(response.message),
    });
    if (!result) throw new CliError('The sign-in returned no token.');
    const claims = result.idTokenClaims as { tid?: string };
    return {
      accessToken: result.accessToken,
      tenantId: (claims.tid ?? result.tenantId ?? '').toLowerCase(),
      username: result.account?.username ?? '',
    };
  } catch (error) {
    if (error instanceof CliError) throw error;
    const { errorCode, errorMessage } = error as { errorCode?: string; errorMessage?: string };
    const reasons: Record<string, string> = {
      authorization_declined: 'The sign-in was declined.',
      expired_token: 'The code expired before anyone signed in with it. Run the command again.',
      bad_verification_code: 'Microsoft did not recognise the code. Run the command again.',
    };
    const found = Object.entries(reasons).find(
      ([code]) => errorCode === code || errorMessage?.includes(code),
    );
    throw new CliError(
      found?.[1] ?? `The sign-in failed: ${(errorMessage ?? String(error)).split(/ Trace ID:/)[0]}`,
    );
  }
}
