import { type GraphClient, GraphError } from './graph-client.js';

/** Lifetimes to try for a new secret, longest first; a tenant's app-management policy may refuse the longer ones. */
export const secretLifetimesDays = [180, 90, 30, 7];

export interface AddedPassword {
  keyId: string;
  secretText: string;
  endDateTime: string;
}

/**
 * A tenant's app-management policy that forbids new passwords altogether. Entra is reported to answer "Credential
 * type not allowed as per assigned policy"; Microsoft documents neither the message nor a code, so either the
 * message or the code the simulator uses is taken.
 */
export const passwordsForbidden = (error: unknown): boolean =>
  error instanceof GraphError &&
  error.status === 400 &&
  (error.graphCode === 'CredentialTypeNotAllowedAsPerAppPolicy' ||
    /credential type not allowed as per assigned policy/i.test(error.message));

/**
 * `addPassword` with the longest lifetime the tenant's app-management policy allows
 * (`CredentialInvalidLifetimeAsPerAppPolicy` for the longer ones); undefined when the policy refuses even the
 * shortest, or any new password, so the caller can use a certificate or say what the tenant must allow.
 * https://learn.microsoft.com/graph/api/application-addpassword
 */
export async function addPasswordWithinPolicy(
  graph: GraphClient,
  token: string,
  appObjectId: string,
  displayName: string,
  now: Date,
): Promise<AddedPassword | undefined> {
  for (const days of secretLifetimesDays) {
    try {
      return await graph.post<AddedPassword>(token, `/applications/${appObjectId}/addPassword`, {
        passwordCredential: {
          displayName,
          endDateTime: new Date(now.getTime() + days * 86_400_000).toISOString(),
        },
      });
    } catch (error) {
      if (passwordsForbidden(error)) return undefined;
      if (!(error instanceof GraphError && error.graphCode === 'CredentialInvalidLifetimeAsPerAppPolicy'))
        throw error;
    }
  }
  return undefined;
}

/** `removePassword`; one removed already (an answer lost on the way back, then sent again) is fine. */
export async function removePassword(
  graph: GraphClient,
  token: string,
  appObjectId: string,
  keyId: string,
): Promise<void> {
  try {
    await graph.post(token, `/applications/${appObjectId}/removePassword`, { keyId }, { idempotent: true });
  } catch (error) {
    if (!(error instanceof GraphError && error.status === 404)) throw error;
  }
}
