/**
 * The Microsoft clouds the connector can run against: their public endpoints, and whether their Graph has the
 * Teams telephony endpoints (user configurations, number assignments), which exist in the global service only
 * (docs/microsoft-facts.md, National clouds).
 */
export const clouds = {
  AzurePublic: {
    authorityHost: 'https://login.microsoftonline.com',
    graphEndpoint: 'https://graph.microsoft.com',
    teamsApis: true,
  },
  AzureUSGovernment: {
    authorityHost: 'https://login.microsoftonline.us',
    graphEndpoint: 'https://graph.microsoft.us',
    teamsApis: false,
  },
  AzureUSGovernmentDoD: {
    authorityHost: 'https://login.microsoftonline.us',
    graphEndpoint: 'https://dod-graph.microsoft.us',
    teamsApis: false,
  },
  AzureChinaCloud: {
    authorityHost: 'https://login.chinacloudapi.cn',
    graphEndpoint: 'https://microsoftgraph.chinacloudapi.cn',
    teamsApis: false,
  },
} as const;

export type CloudName = keyof typeof clouds;
export const cloudNames = Object.keys(clouds) as [CloudName, ...CloudName[]];
