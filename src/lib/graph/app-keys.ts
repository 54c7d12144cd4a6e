import { randomUUID } from 'node:crypto';
import type { VaultCertificate } from '../identity/app-credential.js';
import type { KeyVaultAssertions } from '../identity/key-vault-assertions.js';
import { removePassword } from './app-passwords.js';
import { type GraphClient, GraphError } from './graph-client.js';

type KeyCredential = {
  keyId: string;
  displayName?: string;
  type: string;
  usage: string;
  key?: string | null;
};

/**
 * The tenant's app-management policy refusing a certificate: Entra answers such refusals with the
 * `…AsPerAppPolicy` codes or "… as per assigned policy" (https://learn.microsoft.com/graph/api/resources/appmanagementpolicy).
 * Any other 400 is not the tenant saying no to certificates, and is not taken as one.
 */
export const certificateRefusedByPolicy = (error: unknown): error is GraphError =>
  error instanceof GraphError &&
  error.status === 400 &&
  (/AsPerAppPolicy$/i.test(error.graphCode) || /as per (assigned|app) policy/i.test(error.message));

/**
 * Puts a certificate's public part on an app (`keyCredentials`), returning its key id. With a certificate the app
 * already has (`proofBy`), through addKey and a proof of possession signed by it; otherwise (the app's first
 * certificate) by a PATCH of the whole collection, the app's other certificates sent back with their `key`
 * (returned only on `$select=keyCredentials` of one app), one of the same `displayName` replaced.
 * https://learn.microsoft.com/graph/api/application-addkey, https://learn.microsoft.com/graph/api/application-update
 */
export async function addCertificateKey(
  deps: { graph: GraphClient; assertions: KeyVaultAssertions },
  token: string,
  app: { id: string },
  input: { certificate: VaultCertificate; displayName: string; proofBy?: VaultCertificate },
): Promise<string> {
  const keyCredential = {
    type: 'AsymmetricX509Cert',
    usage: 'Verify',
    key: input.certificate.certificate,
    displayName: input.displayName,
  };
  if (input.proofBy) {
    const proof = await deps.assertions.proofOfPossession(input.proofBy, app.id);
    const added = await deps.graph.post<{ keyId: string }>(token, `/applications/${app.id}/addKey`, {
      keyCredential,
      passwordCredential: null,
      proof,
    });
    return added.keyId;
  }
  const path = `/applications/${app.id}`;
  const current = await deps.graph.get<{ keyCredentials?: KeyCredential[] }>(
    token,
    `${path}?$select=keyCredentials`,
  );
  const proposed = randomUUID();
  const others = (current.keyCredentials ?? [])
    .filter((key) => key.displayName !== input.displayName)
    .map(({ keyId, displayName, type, usage, key }) => ({ keyId, displayName, type, usage, key }));
  await deps.graph.request(token, 'PATCH', path, {
    keyCredentials: [...others, { keyId: proposed, ...keyCredential }],
  });
  // The key id Entra kept, not the one proposed: read it back (the only certificate of that name).
  const after = await deps.graph.get<{ keyCredentials?: KeyCredential[] }>(
    token,
    `${path}?$select=keyCredentials`,
  );
  return after.keyCredentials?.find((key) => key.displayName === input.displayName)?.keyId ?? proposed;
}

/** removeKey with a proof of possession of a current certificate; one removed already is fine. */
export async function removeCertificateKey(
  deps: { graph: GraphClient; assertions: KeyVaultAssertions },
  token: string,
  app: { id: string },
  keyId: string,
  proofBy: VaultCertificate,
): Promise<void> {
  try {
    await deps.graph.post(token, `/applications/${app.id}/removeKey`, {
      keyId,
      proof: await deps.assertions.proofOfPossession(proofBy, app.id),
    });
  } catch (error) {
    if (!(error instanceof GraphError && error.status === 404)) throw error;
  }
}

/** One of an app's credentials to remove: a password, or a certificate with the current one that proves possession. */
export type AppCredentialToRemove =
  | { keyId: string; kind: 'password' }
  | { keyId: string; kind: 'certificate'; proofBy: VaultCertificate };

/** Removes a password (removePassword) or a certificate (removeKey with a proof); one gone already is fine. */
export function removeAppCredential(
  deps: { graph: GraphClient; assertions: KeyVaultAssertions },
  token: string,
  app: { id: string },
  credential: AppCredentialToRemove,
): Promise<void> {
  return credential.kind === 'password'
    ? removePassword(deps.graph, token, app.id, credential.keyId)
    : removeCertificateKey(deps, token, app, credential.keyId, credential.proofBy);
}
