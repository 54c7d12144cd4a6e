import { GraphError } from '../graph/graph-client.js';
import { IdentityUnavailable } from '../identity/identity-unavailable.js';
import { VaultUnavailable } from '../secrets/vault-unavailable.js';
import { storageBusy } from '../storage/storage-errors.js';

/**
 * The one answer to "does this fault pass?" for every durable workflow: Graph throttled, failing on its side or
 * not reached; Entra not answering token requests; the connector's own Key Vault refusing or not answering; Azure
 * Storage busy past its scalability targets. What it says in words, or undefined for a fault that does not pass
 * (a refusal, a bug), which the workflow must not wait out.
 */
export function passingFault(error: unknown): string | undefined {
  if (error instanceof GraphError && error.transient) return error.message;
  if (error instanceof VaultUnavailable || error instanceof IdentityUnavailable) return error.message;
  return storageBusy(error);
}
