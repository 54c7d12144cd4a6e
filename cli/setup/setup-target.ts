import type { z } from 'zod';
import { type CloudName, cloudNames, clouds } from '../../src/lib/config/clouds.js';
import { httpsUrl as httpsUrlSchema, publicUrl } from '../../src/lib/config/settings.js';
import { CliError } from '../connector-client.js';

/** Where the operator's one-time setup works: their cloud and tenant, the connector's vault and public URL. */
export interface SetupTarget {
  cloud: CloudName;
  authorityHost: string;
  graphEndpoint: string;
  /** The authority is not the cloud's own (the simulator): MSAL must not run instance discovery. */
  customAuthority: boolean;
  keyVaultUrl: string;
  /** The operator's tenant (id or domain), or `organizations` to take it from the sign-in. */
  tenant: string;
}

export interface SetupOptions {
  vaultUrl?: string;
  cloud?: string;
  tenant?: string;
}

/** A value the settings schema's rule accepts (as the Function App would), or an error naming the option. */
function checked(schema: z.ZodType<string>, name: string, value: string): string {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new CliError(
    `${name} ${result.error.issues[0]?.message ?? 'is not valid'}, not ${JSON.stringify(value)}.`,
  );
}

const httpsUrl = (name: string, value: string) => checked(httpsUrlSchema, name, value);

/**
 * Options first, then the app settings' names in the environment (CLOUD, KEY_VAULT_URL, AUTHORITY_HOST,
 * GRAPH_ENDPOINT, AZURE_TENANT_ID), so the values the Function App is given are the ones the setup uses.
 */
export function resolveSetupTarget(
  options: SetupOptions,
  env: Record<string, string | undefined>,
): SetupTarget {
  const cloudName = options.cloud || env.CLOUD || 'AzurePublic';
  if (!(cloudNames as string[]).includes(cloudName))
    throw new CliError(`--cloud (CLOUD) must be one of ${cloudNames.join(', ')}.`);
  const cloud = cloudName as CloudName;
  const vault = options.vaultUrl || env.KEY_VAULT_URL;
  if (!vault)
    throw new CliError(
      'Missing --vault-url or KEY_VAULT_URL (the connector’s Key Vault, e.g. https://NAME.vault.azure.net).',
    );
  const authorityHost = env.AUTHORITY_HOST
    ? httpsUrl('AUTHORITY_HOST', env.AUTHORITY_HOST)
    : clouds[cloud].authorityHost;
  return {
    cloud,
    authorityHost,
    graphEndpoint: env.GRAPH_ENDPOINT
      ? httpsUrl('GRAPH_ENDPOINT', env.GRAPH_ENDPOINT)
      : clouds[cloud].graphEndpoint,
    customAuthority: authorityHost !== clouds[cloud].authorityHost,
    keyVaultUrl: httpsUrl('--vault-url', vault),
    tenant: options.tenant || env.AZURE_TENANT_ID || 'organizations',
  };
}

/** Where customer admins reach the connector: the option, else PUBLIC_BASE_URL (https, or http on this machine). */
export function resolvePublicBaseUrl(
  options: { publicBaseUrl?: string },
  env: Record<string, string | undefined>,
): string {
  const value = options.publicBaseUrl || env.PUBLIC_BASE_URL;
  if (!value)
    throw new CliError(
      'Missing --public-base-url or PUBLIC_BASE_URL (where customer admins reach the connector, e.g. https://APP.azurewebsites.net).',
    );
  return checked(publicUrl, '--public-base-url', value);
}
