import { describe, expect, it } from 'vitest';
import { parseSettings, SettingsError } from '../../../src/lib/config/settings.js';

const valid = {
  KEY_VAULT_URL: 'https://contoso-connector.vault.azure.net/',
  PUBLIC_BASE_URL: 'https://connector.example.com/',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return [...(error as SettingsError).problems];
  }
  throw new Error('expected a SettingsError');
}

describe('parseSettings', () => {
  it('reads a complete environment with the public cloud by default', () => {
    const settings = parseSettings(valid);
    expect(settings).toEqual({
      cloud: 'AzurePublic',
      authorityHost: 'https://login.microsoftonline.com',
      graphEndpoint: 'https://graph.microsoft.com',
      customAuthority: false,
      teamsApis: true,
      keyVaultUrl: 'https://contoso-connector.vault.azure.net',
      storage: { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' },
      publicBaseUrl: 'https://connector.example.com',
      coreWebhookUrl: undefined,
      invitationLifetimeDays: 7,
      coreReplayWindowHours: 72,
      eventRetryHorizonHours: 24,
      secretCacheSeconds: 300,
      provisioningClientId: undefined,
      replicationSchedule: '0 0 2 * * *',
      replicationWindowMinutes: 240,
      replicationSliceSeconds: 240,
      runHistoryDays: 90,
      feedRetentionDays: 30,
      replicationDeleteThreshold: { kind: 'count', objects: 500 },
      replicationRetryHorizonHours: 6,
      replicationLeaseSeconds: 120,
      credentialCheckSchedule: '0 0 6 * * *',
      rotateBeforeDays: 30,
      sbcBaseDomain: undefined,
      sbcDnsTarget: undefined,
      siteDnsVerifyHours: 72,
      siteActivationHours: 48,
      accessTokenRequestsPerHour: 60,
      teamsPowerShellApps: true,
      nearRealTimeQuietSeconds: 30,
    });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it.each([
    ['AzureUSGovernment', 'https://login.microsoftonline.us', 'https://graph.microsoft.us'],
    ['AzureUSGovernmentDoD', 'https://login.microsoftonline.us', 'https://dod-graph.microsoft.us'],
    ['AzureChinaCloud', 'https://login.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn'],
  ])('selects the endpoints of %s', (cloud, authorityHost, graphEndpoint) => {
    const settings = parseSettings({ ...valid, CLOUD: cloud });
    expect(settings).toMatchObject({ cloud, authorityHost, graphEndpoint, customAuthority: false });
  });

  it('lets AUTHORITY_HOST and GRAPH_ENDPOINT override the cloud and marks the authority custom', () => {
    const settings = parseSettings({
      ...valid,
      AUTHORITY_HOST: 'https://127.0.0.1:8443/',
      GRAPH_ENDPOINT: 'https://127.0.0.1:8443/graph',
    });
    expect(settings.authorityHost).toBe('https://127.0.0.1:8443');
    expect(settings.graphEndpoint).toBe('https://127.0.0.1:8443/graph');
    expect(settings.customAuthority).toBe(true);
  });

  const withoutConnectionString = () => {
    const { AzureWebJobsStorage: _, ...rest } = valid;
    return rest;
  };

  it('accepts the storage service URIs for a managed identity, as the Functions host does', () => {
    const settings = parseSettings({
      ...withoutConnectionString(),
      AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.windows.net/',
      AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
      AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: '3f1b2c9e-5d4a-4e8f-9b7c-1a2b3c4d5e6f',
    });
    expect(settings.storage).toEqual({
      kind: 'identity',
      blobServiceUrl: 'https://acct.blob.core.windows.net',
      tableServiceUrl: 'https://acct.table.core.windows.net',
      queueServiceUrl: 'https://acct.queue.core.windows.net',
      managedIdentity: true,
      clientId: '3f1b2c9e-5d4a-4e8f-9b7c-1a2b3c4d5e6f',
    });
  });

  it('accepts the account name in the global cloud and builds its service URLs', () => {
    const settings = parseSettings({
      ...withoutConnectionString(),
      AzureWebJobsStorage__accountName: 'acct',
    });
    expect(settings.storage).toEqual({
      kind: 'identity',
      blobServiceUrl: 'https://acct.blob.core.windows.net',
      tableServiceUrl: 'https://acct.table.core.windows.net',
      queueServiceUrl: 'https://acct.queue.core.windows.net',
      managedIdentity: false,
    });
  });

  it.each([
    [
      'tables and queues without blob storage (the host would not start)',
      {
        AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
        AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
      },
      'AzureWebJobsStorage__blobServiceUri: is required with the other storage service URIs',
    ],
    [
      'blob storage alone (the connector needs tables and queues)',
      { AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.windows.net' },
      'AzureWebJobsStorage__tableServiceUri: is required with the other storage service URIs',
    ],
    [
      'the account name outside the global cloud',
      { AzureWebJobsStorage__accountName: 'acct', CLOUD: 'AzureUSGovernment' },
      'AzureWebJobsStorage__accountName: works only in the global cloud',
    ],
    [
      'a credential the host does not know',
      { AzureWebJobsStorage__accountName: 'acct', AzureWebJobsStorage__credential: 'clientsecret' },
      'AzureWebJobsStorage__credential: must be managedidentity',
    ],
    [
      'a client id without the managed identity credential',
      {
        AzureWebJobsStorage__accountName: 'acct',
        AzureWebJobsStorage__clientId: '3f1b2c9e-5d4a-4e8f-9b7c-1a2b3c4d5e6f',
      },
      'AzureWebJobsStorage__clientId: needs AzureWebJobsStorage__credential=managedidentity',
    ],
  ])('refuses %s, naming the setting', (_, values, problem) => {
    expect(() => parseSettings({ ...withoutConnectionString(), ...values })).toThrow(problem);
  });

  it('reads the optional numbers and the core URL', () => {
    const settings = parseSettings({
      ...valid,
      CORE_WEBHOOK_URL: 'https://core.example.com/hooks',
      INVITATION_LIFETIME_DAYS: '14',
      CORE_REPLAY_WINDOW_HOURS: '24',
      EVENT_RETRY_HORIZON_HOURS: '48',
    });
    expect(settings).toMatchObject({
      coreWebhookUrl: 'https://core.example.com/hooks',
      invitationLifetimeDays: 14,
      coreReplayWindowHours: 24,
      eventRetryHorizonHours: 48,
    });
  });

  it('reads the deletion threshold as a number of objects or a share of the replica', () => {
    expect(
      parseSettings({ ...valid, REPLICATION_DELETE_THRESHOLD: '50' }).replicationDeleteThreshold,
    ).toEqual({
      kind: 'count',
      objects: 50,
    });
    expect(
      parseSettings({ ...valid, REPLICATION_DELETE_THRESHOLD: '5%' }).replicationDeleteThreshold,
    ).toEqual({
      kind: 'share',
      percent: 5,
    });
  });

  it('reads the sites’ base domain (lower case, without a final dot) and the SBC address', () => {
    const settings = parseSettings({
      ...valid,
      SBC_BASE_DOMAIN: 'Customers.Example.NET.',
      SBC_DNS_TARGET: '203.0.113.10',
    });
    expect(settings).toMatchObject({
      sbcBaseDomain: 'customers.example.net',
      sbcDnsTarget: '203.0.113.10',
      siteDnsVerifyHours: 72,
      siteActivationHours: 48,
    });
    expect(parseSettings(valid).sbcBaseDomain).toBeUndefined();
  });

  it('treats an empty value like a missing one', () => {
    expect(parseSettings({ ...valid, CLOUD: '', AUTHORITY_HOST: '' }).cloud).toBe('AzurePublic');
  });

  it.each([
    ['KEY_VAULT_URL', { KEY_VAULT_URL: undefined }, 'KEY_VAULT_URL: is required'],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: undefined }, 'PUBLIC_BASE_URL: is required'],
    ['AzureWebJobsStorage', { AzureWebJobsStorage: undefined }, 'AzureWebJobsStorage: is required'],
    [
      'a plain-http Key Vault',
      { KEY_VAULT_URL: 'http://vault.example.com' },
      'KEY_VAULT_URL: must be an https:// URL',
    ],
    [
      'an unknown cloud',
      { CLOUD: 'AzureGermany' },
      'CLOUD: must be one of AzurePublic, AzureUSGovernment, AzureUSGovernmentDoD, AzureChinaCloud',
    ],
    ['a malformed authority', { AUTHORITY_HOST: 'login' }, 'AUTHORITY_HOST: must be an https:// URL'],
    [
      'a public http base URL',
      { PUBLIC_BASE_URL: 'http://connector.example.com' },
      'PUBLIC_BASE_URL: must use https://',
    ],
    [
      'a public http core URL',
      { CORE_WEBHOOK_URL: 'http://core.example.com/hooks' },
      'CORE_WEBHOOK_URL: must use https://',
    ],
    [
      'a lifetime that is not a number',
      { INVITATION_LIFETIME_DAYS: 'week' },
      'INVITATION_LIFETIME_DAYS: must be a number',
    ],
    [
      'a lifetime out of range',
      { INVITATION_LIFETIME_DAYS: '365' },
      'INVITATION_LIFETIME_DAYS: must be at most 90',
    ],
    [
      'a deletion threshold that is neither a number nor a share',
      { REPLICATION_DELETE_THRESHOLD: 'many' },
      'REPLICATION_DELETE_THRESHOLD: must be a number of objects',
    ],
    ['a share over 100%', { REPLICATION_DELETE_THRESHOLD: '150%' }, 'REPLICATION_DELETE_THRESHOLD: must be'],
    [
      'a fractional window',
      { CORE_REPLAY_WINDOW_HOURS: '1.5' },
      'CORE_REPLAY_WINDOW_HOURS: must be a whole number',
    ],
    [
      'a five-field schedule',
      { CREDENTIAL_CHECK_SCHEDULE: '0 6 * * *' },
      'CREDENTIAL_CHECK_SCHEDULE: must be a six-field',
    ],
    [
      'a rotation lead past any secret’s life',
      { ROTATE_BEFORE_DAYS: '200' },
      'ROTATE_BEFORE_DAYS: must be at most 170',
    ],
    [
      'a base domain of Microsoft’s own',
      { SBC_BASE_DOMAIN: 'sbc.contoso.onmicrosoft.com', SBC_DNS_TARGET: '203.0.113.1' },
      'SBC_BASE_DOMAIN: must be a domain of the operator’s own',
    ],
    [
      'a base domain that is no DNS name',
      { SBC_BASE_DOMAIN: 'customers', SBC_DNS_TARGET: '203.0.113.1' },
      'SBC_BASE_DOMAIN: must be a DNS name',
    ],
    [
      'a base domain without its SBC address',
      { SBC_BASE_DOMAIN: 'customers.example.net' },
      'SBC_DNS_TARGET: is required with SBC_BASE_DOMAIN',
    ],
    [
      'an SBC host name where an address is needed',
      { SBC_BASE_DOMAIN: 'customers.example.net', SBC_DNS_TARGET: 'sbc.example.net' },
      'SBC_DNS_TARGET: must be the SBC’s public IPv4 address',
    ],
  ])('names the setting when %s is wrong', (_, change, expected) => {
    const problems = problemsOf({ ...valid, ...change });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it('reports every bad setting at once', () => {
    const problems = problemsOf({ CLOUD: 'Mars' });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(
      expect.arrayContaining(['CLOUD', 'KEY_VAULT_URL', 'PUBLIC_BASE_URL', 'AzureWebJobsStorage']),
    );
  });

  it('allows plain http for a base URL on this machine', () => {
    expect(parseSettings({ ...valid, PUBLIC_BASE_URL: 'http://localhost:7071' }).publicBaseUrl).toBe(
      'http://localhost:7071',
    );
  });
});
