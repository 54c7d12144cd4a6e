import { isRestError } from '@azure/core-rest-pipeline';
import { ConnectorError } from '../errors/connector-error.js';
import { connectorMetrics } from '../telemetry/connector-metrics.js';

/**
 * The connector could not use its own Key Vault (its identity denied access, the vault not answering): a fault
 * of the connector's, never of a tenant's. Health reports it; work waits and retries; no tenant changes status.
 */
export class VaultUnavailable extends ConnectorError {
  readonly code = 'vault_unavailable';
  constructor(options?: ErrorOptions) {
    super(
      "The connector could not use its Key Vault (its own access, not the tenant's). It retries.",
      options,
    );
  }
}

/** Key Vault's own code for a refusal, and the inner one that says why (`SecretDisabled`, `AccessDenied`, …). */
export function vaultErrorCodes(error: unknown): { status?: number; inner?: string } {
  if (!isRestError(error)) return {};
  const details = error.details as
    | { error?: { innerError?: { code?: string }; innererror?: { code?: string } } }
    | undefined;
  return {
    status: error.statusCode,
    inner: details?.error?.innerError?.code ?? details?.error?.innererror?.code,
  };
}

/** The connector's vault failed it (`error`, Key Vault's answer or none): counted (refused or not answering), then thrown. */
export function vaultUnavailable(error: unknown): VaultUnavailable {
  const { status } = vaultErrorCodes(error);
  connectorMetrics.keyVaultFailed(status === 401 || status === 403 ? 'forbidden' : 'unavailable', status);
  return new VaultUnavailable({ cause: error });
}
