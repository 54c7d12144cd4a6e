import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { CertificateClient } from '@azure/keyvault-certificates';
import { SecretClient } from '@azure/keyvault-secrets';
import { type Settings, type StorageConnection, settings } from './config/settings.js';
import { Storage } from './storage/storage-clients.js';

/** The clients every service needs, built once from settings and handed to services. */
export interface Dependencies {
  settings: Settings;
  credential: TokenCredential;
  storage: Storage;
  secrets: SecretClient;
  /** The same vault's certificates (tenants that use a certificate instead of a secret). */
  certificates: CertificateClient;
}

export function buildDependencies(appSettings: Settings): Dependencies {
  const credential = new DefaultAzureCredential({
    authorityHost: appSettings.authorityHost,
    disableInstanceDiscovery: appSettings.customAuthority,
  });
  const vaultOptions = { disableChallengeResourceVerification: appSettings.customAuthority };
  return {
    settings: appSettings,
    credential,
    storage: new Storage(appSettings.storage, storageCredential(appSettings.storage) ?? credential),
    secrets: new SecretClient(appSettings.keyVaultUrl, credential, vaultOptions),
    certificates: new CertificateClient(appSettings.keyVaultUrl, credential, vaultOptions),
  };
}

/** `AzureWebJobsStorage__credential=managedidentity`: storage is reached as the host reaches it, by managed identity. */
function storageCredential(connection: StorageConnection): TokenCredential | undefined {
  if (connection.kind !== 'identity' || !connection.managedIdentity) return undefined;
  return new ManagedIdentityCredential({ clientId: connection.clientId });
}

let current: Dependencies | undefined;

/** The process-wide dependencies, built on first use from the validated settings. */
export function dependencies(): Dependencies {
  current ??= buildDependencies(settings());
  return current;
}
