import { secretName } from '../onboarding/registration-names.js';
import { certificateThumbprint } from '../secrets/tenant-certificates.js';
import type { TenantCredential } from '../secrets/tenant-secret-store.js';
import type { OwnApp } from './self-managed-app.js';

export type AppPassword = OwnApp['passwordCredentials'][number];

/**
 * The app's password a service's secret is: its recorded `keyId`, else the one named for the service, else the one
 * whose hint (a secret's first three characters) matches, when exactly one does. Undefined when it cannot tell.
 */
export function passwordOfSecret(
  credential: TenantCredential,
  app: OwnApp,
  serviceId: string,
): AppPassword | undefined {
  const passwords = app.passwordCredentials;
  const recorded = credential.keyId && passwords.find((password) => password.keyId === credential.keyId);
  if (recorded) return recorded;
  const named = passwords.filter((password) => password.displayName === secretName(serviceId));
  if (named.length === 1) return named[0];
  const hinted = passwords.filter(
    (password) => password.hint && credential.secret?.startsWith(password.hint),
  );
  return hinted.length === 1 ? hinted[0] : undefined;
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
