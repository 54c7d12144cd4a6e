import { GraphError } from '../../src/lib/graph/graph-client.js';
import { CliError } from '../connector-client.js';

/**
 * The setup's failures as the operator can act on them: Graph refusing the signed-in account, Key Vault refusing
 * the operator, no Azure sign-in for Key Vault. Anything else is left as it is.
 */
export async function explainingFailures<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw explanation(error) ?? error;
  }
}

function explanation(error: unknown): CliError | undefined {
  if (error instanceof GraphError) {
    return new CliError(
      error.status === 403
        ? 'Your account may not manage app registrations: sign in as an Application Administrator, a Cloud Application Administrator or a Global Administrator.'
        : `Microsoft Graph refused: ${error.message}`,
    );
  }
  const { name, statusCode, message } = error as { name?: string; statusCode?: number; message?: string };
  if (name === 'RestError' && statusCode === 403)
    return new CliError(
      'Key Vault refused access: your account needs Key Vault Secrets Officer on the vault (operatorPrincipalId in infra/main.parameters.json). A new role assignment can take a few minutes to apply: run the command again then.',
    );
  if (name === 'AggregateAuthenticationError' || name === 'CredentialUnavailableError')
    return new CliError(
      'No Azure sign-in for Key Vault: run az login (or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal).',
    );
  if (name === 'RestError') return new CliError(`Key Vault refused: ${(message ?? '').split('\n')[0]}`);
  return undefined;
}
