/**
 * The Microsoft clouds the connector can run against: their public endpoints, whether their Graph has the
 * Teams telephony endpoints (user configurations, number assignments), which exist in the global service only,
 * and whether Microsoft documents application-based authentication of Teams PowerShell there (commercial and GCC,
 * GCC High, DoD; not China) (docs/microsoft-facts.md, National clouds; docs/powershell.md).
 */
export const clouds = {
  AzurePublic: {
    authorityHost: 'https://login.microsoftonline.com',
    graphEndpoint: 'https://graph.microsoft.com',
    teamsApis: true,
    teamsPowerShellApps: true,
  },
  AzureUSGovernment: {
    authorityHost: 'https://login.microsoftonline.us',
    graphEndpoint: 'https://graph.microsoft.us',
    teamsApis: false,
    teamsPowerShellApps: true,
  },
  AzureUSGovernmentDoD: {
    authorityHost: 'https://login.microsoftonline.us',
    graphEndpoint: 'https://dod-graph.microsoft.us',
    teamsApis: false,
    teamsPowerShellApps: true,
  },
  AzureChinaCloud: {
    authorityHost: 'https://login.chinacloudapi.cn',
    graphEndpoint: 'https://microsoftgraph.chinacloudapi.cn',
    teamsApis: false,
    teamsPowerShellApps: false,
  },
} as const;

export type CloudName = keyof typeof clouds;
export const cloudNames = Object.keys(clouds) as [CloudName, ...CloudName[]];
