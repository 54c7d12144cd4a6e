import { addCertificateKey, certificateRefusedByPolicy, removeAppCredential } from '../graph/app-keys.js';
import { addPasswordWithinPolicy } from '../graph/app-passwords.js';
import type { GraphClient } from '../graph/graph-client.js';
import type { VaultCertificate } from '../identity/app-credential.js';
import type { KeyVaultAssertions } from '../identity/key-vault-assertions.js';
import { secretName } from '../onboarding/registration-names.js';
import type { TenantCertificate, TenantCertificates } from '../secrets/tenant-certificates.js';
import type { TenantCredential, TenantSecretStore } from '../secrets/tenant-secret-store.js';

/**
 * A service's credential on the tenant's app, in one place for onboarding, a new service and a rotation: a password
 * named for the service within the tenant's policy, else a Key Vault certificate of the service's own; then to
 * Key Vault, taken off the app again if Key Vault does not take it (a credential nobody holds is of no use).
 */
export interface ServiceCredentialDeps {
  certificates: TenantCertificates;
  graph: GraphClient;
  assertions: KeyVaultAssertions;
}

type Service = { tenantId: string; serviceId: string; clientId: string };

/** The tenant's app-management policy refuses both a new secret and the certificate (Graph's code says which rule). */
export class CredentialRefusedByPolicy extends Error {
  constructor(readonly graphCode: string) {
    super(`the tenant's app management policy refuses new client secrets and certificates (${graphCode})`);
  }
}

/**
 * A new credential for the service: a password unless `certificate` (the service is on certificates), else or
 * when the policy refuses passwords a new version of the service's certificate (proven by `proofBy`, one the app
 * holds). CredentialRefusedByPolicy when the policy refuses that too; a certificate made for a service that had
 * none is deleted again then.
 */
export async function addServiceCredential(
  deps: ServiceCredentialDeps,
  token: string,
  app: { id: string },
  service: Service,
  options: { certificate?: boolean; proofBy?: VaultCertificate; hadCertificate?: boolean; now: Date },
): Promise<TenantCredential> {
  const password = options.certificate
    ? undefined
    : await addPasswordWithinPolicy(deps.graph, token, app.id, secretName(service.serviceId), options.now);
  if (password)
    return {
      ...service,
      secret: password.secretText,
      expiresOn: new Date(password.endDateTime),
      keyId: password.keyId,
    };
  try {
    return await addServiceCertificate(deps, token, app, service, options.proofBy);
  } catch (error) {
    if (!certificateRefusedByPolicy(error)) throw error;
    if (!options.hadCertificate) await deps.certificates.delete(service.tenantId, service.serviceId);
    throw new CredentialRefusedByPolicy(error.graphCode);
  }
}

/**
 * A new version of a service's Key Vault certificate, put on the app named for the service (by addKey proven with
 * `proofBy`, a certificate the app holds; by a PATCH when it holds none); its key id on the app comes with it.
 */
async function addServiceCertificate(
  deps: ServiceCredentialDeps,
  token: string,
  app: { id: string },
  service: Service,
  proofBy?: VaultCertificate,
): Promise<TenantCertificate> {
  const made = await deps.certificates.create(service.tenantId, service.serviceId, service.clientId);
  const keyId = await addCertificateKey(deps, token, app, {
    certificate: made.certificate,
    displayName: secretName(service.serviceId),
    proofBy,
  });
  return { ...made, keyId };
}

/**
 * The credential to Key Vault (as the service's current one, or staged as its `next`); when Key Vault does not
 * take it, it is taken off the app again (a certificate proven by `proofBy`, else by itself) and the fault thrown.
 */
export async function storeServiceCredential(
  deps: ServiceCredentialDeps & { secrets: TenantSecretStore },
  token: string,
  app: { id: string },
  credential: TenantCredential,
  options: { stage?: 'current' | 'next'; proofBy?: VaultCertificate } = {},
): Promise<void> {
  try {
    await deps.secrets.put(credential, options.stage);
  } catch (error) {
    const keyId = credential.keyId ?? '';
    const proofBy = options.proofBy ?? credential.certificate;
    await removeAppCredential(
      deps,
      token,
      app,
      credential.certificate && proofBy
        ? { keyId, kind: 'certificate', proofBy }
        : { keyId, kind: 'password' },
    ).catch(() => undefined);
    throw error;
  }
}
