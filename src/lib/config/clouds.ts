/** The Microsoft clouds the connector can run against, and their public endpoints. */
export const clouds = {
  AzurePublic: {
    authorityHost: 'https://login.microsoftonline.com',
    graphEndpoint: 'https://graph.microsoft.com',
  },
  AzureUSGovernment: {
    authorityHost: 'https://login.microsoftonline.us',
    graphEndpoint: 'https://graph.microsoft.us',
  },
  AzureChinaCloud: {
    authorityHost: 'https://login.chinacloudapi.cn',
    graphEndpoint: 'https://microsoftgraph.chinacloudapi.cn',
  },
} as const;

export type CloudName = keyof typeof clouds;
export const cloudNames = Object.keys(clouds) as [CloudName, ...CloudName[]];
