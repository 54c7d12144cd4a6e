import type { CloudName } from './clouds.js';

/**
 * How the app reaches its storage account, in the forms the Functions host itself accepts for
 * `AzureWebJobsStorage` (docs/microsoft-facts.md, Storage connection): a connection string, or an identity-based
 * connection given by the account name (global cloud only) or by its blob, queue and table service URIs. The host
 * keeps its keys, timer state and locks in blob storage, so an identity connection always names a blob service.
 */
export type StorageConnection =
  | { kind: 'connectionString'; connectionString: string }
  | {
      kind: 'identity';
      blobServiceUrl: string;
      tableServiceUrl: string;
      queueServiceUrl: string;
      /** `AzureWebJobsStorage__credential=managedidentity`: the app's managed identity, never a developer sign-in. */
      managedIdentity: boolean;
      /** A user-assigned managed identity's client id (`AzureWebJobsStorage__clientId`). */
      clientId?: string;
    };

export interface StorageSettingValues {
  AzureWebJobsStorage?: string;
  AzureWebJobsStorage__accountName?: string;
  AzureWebJobsStorage__blobServiceUri?: string;
  AzureWebJobsStorage__queueServiceUri?: string;
  AzureWebJobsStorage__tableServiceUri?: string;
  AzureWebJobsStorage__credential?: string;
  AzureWebJobsStorage__clientId?: string;
}

const serviceUriSettings = [
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__queueServiceUri',
  'AzureWebJobsStorage__tableServiceUri',
] as const;

/** The storage connection the settings describe, or the problems that keep them from describing one. */
export function storageConnection(
  values: StorageSettingValues,
  cloud: CloudName,
): StorageConnection | string[] {
  if (values.AzureWebJobsStorage) {
    return { kind: 'connectionString', connectionString: values.AzureWebJobsStorage };
  }
  const problems: string[] = [];
  const credential = values.AzureWebJobsStorage__credential;
  if (credential !== undefined && credential.toLowerCase() !== 'managedidentity') {
    problems.push('AzureWebJobsStorage__credential: must be managedidentity (or unset)');
  }
  if (values.AzureWebJobsStorage__clientId && credential === undefined) {
    problems.push('AzureWebJobsStorage__clientId: needs AzureWebJobsStorage__credential=managedidentity');
  }
  const urls = serviceUrls(values, cloud, problems);
  if (problems.length > 0 || !urls) return problems;
  return {
    kind: 'identity',
    ...urls,
    managedIdentity: credential !== undefined,
    ...(values.AzureWebJobsStorage__clientId ? { clientId: values.AzureWebJobsStorage__clientId } : {}),
  };
}

function serviceUrls(values: StorageSettingValues, cloud: CloudName, problems: string[]) {
  const given = serviceUriSettings.filter((name) => values[name]);
  const account = values.AzureWebJobsStorage__accountName;
  if (account && given.length === 0) {
    if (cloud !== 'AzurePublic') {
      problems.push(
        `AzureWebJobsStorage__accountName: works only in the global cloud (the host builds *.core.windows.net URLs); in ${cloud} give ${serviceUriSettings.join(', ')}`,
      );
      return undefined;
    }
    if (!/^[a-z0-9]{3,24}$/.test(account)) {
      problems.push(
        'AzureWebJobsStorage__accountName: must be a storage account name (3-24 lowercase letters and digits)',
      );
      return undefined;
    }
    const url = (service: string) => `https://${account}.${service}.core.windows.net`;
    return { blobServiceUrl: url('blob'), queueServiceUrl: url('queue'), tableServiceUrl: url('table') };
  }
  if (given.length === 0) {
    problems.push(
      `AzureWebJobsStorage: is required (a connection string; or, for a managed identity, AzureWebJobsStorage__accountName or all of ${serviceUriSettings.join(', ')})`,
    );
    return undefined;
  }
  for (const name of serviceUriSettings) {
    if (!values[name]) {
      problems.push(
        `${name}: is required with the other storage service URIs (the Functions host keeps its keys, timer state and locks in blob storage; the connector its tables and queues)`,
      );
    }
  }
  if (problems.length > 0) return undefined;
  return {
    blobServiceUrl: values.AzureWebJobsStorage__blobServiceUri as string,
    queueServiceUrl: values.AzureWebJobsStorage__queueServiceUri as string,
    tableServiceUrl: values.AzureWebJobsStorage__tableServiceUri as string,
  };
}
