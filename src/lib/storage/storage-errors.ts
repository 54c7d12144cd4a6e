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
