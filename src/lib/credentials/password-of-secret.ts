import { secretName } from '../onboarding/registration-names.js';
import { certificateThumbprint } from '../secrets/tenant-certificates.js';
import type { TenantCredential } from '../secrets/tenant-secret-store.js';
import type { OwnApp } from './self-managed-app.js';

export type AppPassword = OwnApp['passwordCredentials'][number];

/**
 * The app's password a service's secret is: its recorded `keyId`, else the one whose hint (a secret's first three
 * characters) matches when exactly one does, else the one named for the service. A password whose hint differs
 * from the secret is never it, whatever its id or name say (after a manual reconnect the name still marks the old
 * password). Undefined when it cannot tell.
 */
export function passwordOfSecret(
  credential: TenantCredential,
  app: OwnApp,
  serviceId: string,
): AppPassword | undefined {
  const secret = credential.secret;
  const fits = (password: AppPassword) => !password.hint || !secret || secret.startsWith(password.hint);
  const passwords = app.passwordCredentials.filter(fits);
  const recorded = credential.keyId && passwords.find((password) => password.keyId === credential.keyId);
  if (recorded) return recorded;
  const hinted = passwords.filter((password) => password.hint && secret?.startsWith(password.hint));
  if (hinted.length === 1) return hinted[0];
  const named = (hinted.length > 1 ? hinted : passwords).filter(
    (password) => password.displayName === secretName(serviceId),
  );
  return named.length === 1 ? named[0] : undefined;
}

export type AppKey = NonNullable<OwnApp['keyCredentials']>[number];

/** The app's certificate a service's certificate is: its recorded `keyId`, else the one of its thumbprint. */
export function keyOfCertificate(credential: TenantCredential, app: OwnApp): AppKey | undefined {
  if (!credential.certificate) return undefined;
  const keys = app.keyCredentials ?? [];
  const thumbprint = certificateThumbprint(credential.certificate);
  return (
    keys.find((key) => credential.keyId && key.keyId === credential.keyId) ??
    keys.find((key) => key.customKeyIdentifier?.toUpperCase() === thumbprint)
  );
}

/** Which of the app's credentials (password or certificate) a service's stored credential is, by its key id. */
export function keyIdOfCredential(credential: TenantCredential, app: OwnApp, serviceId: string) {
  return credential.certificate
    ? keyOfCertificate(credential, app)?.keyId
    : passwordOfSecret(credential, app, serviceId)?.keyId;
}
