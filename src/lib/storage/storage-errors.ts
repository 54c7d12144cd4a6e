import { isRestError, type RestError } from '@azure/core-rest-pipeline';
import { ConnectorError } from '../errors/connector-error.js';

/** Another writer changed the entity since it was read (HTTP 412 on a conditional write). */
export class ConcurrencyError extends ConnectorError {
  readonly code = 'etag_mismatch';
}

/** The entity to insert exists already (HTTP 409). */
export class EntityExistsError extends ConnectorError {
  readonly code = 'entity_exists';
}

function storageCode(error: RestError): string | undefined {
  const details = error.details as { errorCode?: string } | undefined;
  return details?.errorCode ?? error.code;
}

/** Turns the storage SDK's RestError into the domain's typed errors; anything else is rethrown unchanged. */
export function translateStorageError(error: unknown, what: string): never {
  if (isRestError(error)) {
    if (error.statusCode === 412) {
      throw new ConcurrencyError(`${what}: changed by another writer (${storageCode(error)})`, {
        cause: error,
      });
    }
    if (error.statusCode === 409 && storageCode(error) === 'EntityAlreadyExists') {
      throw new EntityExistsError(`${what}: exists already`, { cause: error });
    }
  }
  throw error;
}

export function isNotFound(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 404;
}

/**
 * Storage did not take a request for a while (the SDK retried it already): the account or a partition past its
 * scalability targets answers 503 ServerBusy or 500 OperationTimedOut. What to wait for, or undefined for any
 * other error.
 */
export function storageBusy(error: unknown): string | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause)
    if (isRestError(cause) && (cause.statusCode === 503 || cause.statusCode === 500))
      return `Azure Storage was busy (${cause.statusCode} ${storageCode(cause) ?? 'no code'})`;
  return undefined;
}
