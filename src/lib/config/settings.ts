import { z } from 'zod';
import { type CloudName, cloudNames, clouds } from './clouds.js';

/** How the app reaches its storage account: a connection string, or service URLs with a managed identity. */
export type StorageConnection =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; tableServiceUrl: string; queueServiceUrl: string };

export interface Settings {
  cloud: CloudName;
  /** Entra authority host, e.g. https://login.microsoftonline.com (no trailing slash). */
  authorityHost: string;
  /** Microsoft Graph endpoint, e.g. https://graph.microsoft.com (no trailing slash). */
  graphEndpoint: string;
  /** True when AUTHORITY_HOST points away from the cloud's own authority (instance discovery must be off). */
  customAuthority: boolean;
  keyVaultUrl: string;
  storage: StorageConnection;
  publicBaseUrl: string;
}

export class SettingsError extends Error {
  readonly code = 'invalid_settings';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid app settings:\n  ${problems.join('\n  ')}`);
    this.name = 'SettingsError';
  }
}

const isLoopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

const httpsUrl = z
  .url({ protocol: /^https$/, error: 'must be an https:// URL' })
  .transform((value) => value.replace(/\/+$/, ''));

const publicUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s):// URL' })
  .refine((value) => new URL(value).protocol === 'https:' || isLoopback(new URL(value)), {
    error: 'must use https:// unless it points at this machine',
  })
  .transform((value) => value.replace(/\/+$/, ''));

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const schema = z.object({
  CLOUD: optional(z.enum(cloudNames, { error: `must be one of ${cloudNames.join(', ')}` })),
  AUTHORITY_HOST: optional(httpsUrl),
  GRAPH_ENDPOINT: optional(httpsUrl),
  KEY_VAULT_URL: z.string({ error: 'is required' }).pipe(httpsUrl),
  PUBLIC_BASE_URL: z.string({ error: 'is required' }).pipe(publicUrl),
  AzureWebJobsStorage: optional(z.string().min(1)),
  AzureWebJobsStorage__tableServiceUri: optional(httpsUrl),
  AzureWebJobsStorage__queueServiceUri: optional(httpsUrl),
});

function storageConnection(values: Partial<z.infer<typeof schema>>): StorageConnection | string {
  if (values.AzureWebJobsStorage) {
    return { kind: 'connectionString', connectionString: values.AzureWebJobsStorage };
  }
  const table = values.AzureWebJobsStorage__tableServiceUri;
  const queue = values.AzureWebJobsStorage__queueServiceUri;
  if (table && queue) return { kind: 'identity', tableServiceUrl: table, queueServiceUrl: queue };
  return 'AzureWebJobsStorage: is required (a connection string, or both AzureWebJobsStorage__tableServiceUri and AzureWebJobsStorage__queueServiceUri)';
}

const present = (env: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(env).filter(([, value]) => value)) as Partial<z.infer<typeof schema>>;

/** Reads and validates every setting from an environment; throws a SettingsError naming each bad one. */
export function parseSettings(env: Record<string, string | undefined>): Settings {
  const parsed = schema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const storage = storageConnection(parsed.success ? parsed.data : present(env));
  if (typeof storage === 'string') problems.push(storage);
  if (!parsed.success || typeof storage === 'string') throw new SettingsError(problems);
  const values = parsed.data;
  const cloud = values.CLOUD ?? 'AzurePublic';
  const authorityHost = values.AUTHORITY_HOST ?? clouds[cloud].authorityHost;
  return Object.freeze({
    cloud,
    authorityHost,
    graphEndpoint: values.GRAPH_ENDPOINT ?? clouds[cloud].graphEndpoint,
    customAuthority: authorityHost !== clouds[cloud].authorityHost,
    keyVaultUrl: values.KEY_VAULT_URL,
    storage,
    publicBaseUrl: values.PUBLIC_BASE_URL,
  });
}

let current: Settings | undefined;

/** The app's settings, read from the process environment once and cached. */
export function settings(): Settings {
  current ??= parseSettings(process.env);
  return current;
}
