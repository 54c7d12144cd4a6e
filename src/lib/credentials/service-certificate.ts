import { addCertificateKey } from '../graph/app-keys.js';
import type { GraphClient } from '../graph/graph-client.js';
import type { VaultCertificate } from '../identity/app-credential.js';
import type { KeyVaultAssertions } from '../identity/key-vault-assertions.js';
import { secretName } from '../onboarding/registration-names.js';
import type { TenantCertificate, TenantCertificates } from '../secrets/tenant-certificates.js';

export interface ServiceCertificateDeps {
  certificates: TenantCertificates;
  graph: GraphClient;
  assertions: KeyVaultAssertions;
}

/**
 * A new version of a service's Key Vault certificate, put on the app named for the service (by addKey proven with
 * `proofBy`, a certificate the app holds; by a PATCH when it holds none); its key id on the app comes with it.
 */
export async function addServiceCertificate(
  deps: ServiceCertificateDeps,
  token: string,
  app: { id: string },
  service: { tenantId: string; serviceId: string; clientId: string },
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
