import { randomUUID } from 'node:crypto';
import { json, type SimResponse } from '../http-kit.js';

/**
 * An error as Graph sends it, with the request id in the body and the headers.
 * Shape: https://learn.microsoft.com/graph/errors
 */
export function graphError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  details?: { code: string; message: string; target?: string }[],
): SimResponse {
  const requestId = randomUUID();
  return json(
    status,
    {
      error: {
        code,
        message,
        ...(details ? { details } : {}),
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ''),
          'request-id': requestId,
          'client-request-id': requestId,
        },
      },
    },
    { 'request-id': requestId, 'client-request-id': requestId, ...headers },
  );
}

export const notFound = (what: string) =>
  graphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${what}' does not exist or one of its queried reference-property objects are not present.`,
  );

export const badRequest = (message: string) => graphError(400, 'Request_BadRequest', message);

export const forbidden = () =>
  graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
