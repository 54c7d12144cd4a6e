import { GraphError } from './graph-client.js';

/**
 * Microsoft's answers while a directory object made moments ago has not reached every replica of Entra's
 * directory: reads and writes that name it find nothing, references to it are refused. Each passes within
 * seconds to minutes, so a caller that has just made the object waits them out (docs/microsoft-facts.md).
 * - 404 `Request_ResourceNotFound` "Resource '…' does not exist or one of its queried reference-property objects
 *   are not present." (a new user, service principal, domain);
 * - 400 "The appId '…' of the service principal does not reference a valid application object."
 *   (`NoBackingApplicationObject`: `POST /servicePrincipals` right after the app);
 * - 400 "Not a valid reference update." (a new service principal in `appRoleAssignedTo`);
 * - 400 "The domain portion of the userPrincipalName property is invalid…" (`POST /users` on a domain verified
 *   moments ago; the same words as for a domain never verified, so a caller gives it a horizon).
 */
const lagWordings = [
  /does not exist or one of its queried reference-property objects are not present/i,
  /does not reference a valid application object/i,
  /not a valid reference/i,
  /domain portion of the userPrincipalName property is invalid/i,
];

/** Whether a Graph refusal is one of those: worth asking again in a while when the object named is new. */
export function isDirectoryReplicationLag(error: unknown): boolean {
  if (!(error instanceof GraphError)) return false;
  if (error.status === 404) return true;
  return error.status === 400 && lagWordings.some((wording) => wording.test(error.message));
}
