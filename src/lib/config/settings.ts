import { z } from 'zod';
import { ConnectorError } from '../errors/connector-error.js';
import {
  type DeletionThreshold,
  defaultDeletionThreshold,
  parseDeletionThreshold,
} from '../replication/deletion-threshold.js';
import { type CloudName, cloudNames, clouds } from './clouds.js';
import { type StorageConnection, storageConnection } from './storage-connection.js';

export type { StorageConnection } from './storage-connection.js';

export interface Settings {
  cloud: CloudName;
  /** Entra authority host, e.g. https://login.microsoftonline.com (no trailing slash). */
  authorityHost: string;
  /** Microsoft Graph endpoint, e.g. https://graph.microsoft.com (no trailing slash). */
  graphEndpoint: string;
  /** True when AUTHORITY_HOST points away from the cloud's own authority (instance discovery must be off). */
  customAuthority: boolean;
  /** The cloud's Graph has the Teams telephony endpoints (the global service only). */
  teamsApis: boolean;
  keyVaultUrl: string;
  storage: StorageConnection;
  publicBaseUrl: string;
  /** Where events to the platform core are delivered; none are sent while it is unset. */
  coreWebhookUrl: string | undefined;
  invitationLifetimeDays: number;
  /** How long a core request's webhook-id is remembered, so a replay is refused (the core's retry horizon). */
  coreReplayWindowHours: number;
  /** How long an event to the core is retried before it is given up as failed. */
  eventRetryHorizonHours: number;
  /** How long secrets read from Key Vault (e.g. signing secrets) are kept in memory. */
  secretCacheSeconds: number;
  /** The operator's multi-tenant provisioning app (its secret is in Key Vault); automatic registration needs it. */
  provisioningClientId: string | undefined;
  /** NCRONTAB of the daily replication fan-out (the timer reads it as %REPLICATION_SCHEDULE%). */
  replicationSchedule: string;
  /** Daily runs are spread over this many minutes after the fan-out. */
  replicationWindowMinutes: number;
  /** One replication invocation works this long, then checkpoints and queues its continuation. */
  replicationSliceSeconds: number;
  /** Finished replication runs are kept this long in the run history. */
  runHistoryDays: number;
  /** The change feed keeps batches this long (the newest a tenant has always stays). */
  feedRetentionDays: number;
  /** Removals one run may store before it holds them for an operator to release. */
  replicationDeleteThreshold: DeletionThreshold;
  /** How long a run waits out faults that are not its tenant's (throttling, Graph or Key Vault down) before it fails. */
  replicationRetryHorizonHours: number;
  /** The term of a tenant's replication lease (renewed while a worker works): how long a dead worker holds it. */
  replicationLeaseSeconds: number;
  /** The term of every durable workflow's lease, when set (else each its own: 15 to 30 seconds). */
  workflowLeaseSeconds?: number;
  /** NCRONTAB of the daily credential check (the timer reads it as %CREDENTIAL_CHECK_SCHEDULE%). */
  credentialCheckSchedule: string;
  /** A secret the connector can renew is rotated when fewer days than this are left. */
  rotateBeforeDays: number;
  /** The operator's SBC base domain: each site is one sub-domain of it. Sites are refused while unset. */
  sbcBaseDomain: string | undefined;
  /** The SBC's public IPv4 address: each site's sub-domain gets an A record to it. */
  sbcDnsTarget: string | undefined;
  /** How long a site's domain verification is retried before the site fails. */
  siteDnsVerifyHours: number;
  /** How long the connector waits for a site's activation before the site fails. */
  siteActivationHours: number;
  /** Access token requests a tenant may make in an hour (the platform's Teams PowerShell and Graph). */
  accessTokenRequestsPerHour: number;
  /** Microsoft documents app-only Teams PowerShell in this cloud. */
  teamsPowerShellApps: boolean;
  /** Near-real-time: a tenant's run starts this long after the first change notification it has not run for. */
  nearRealTimeQuietSeconds: number;
}

export class SettingsError extends ConnectorError {
  readonly code = 'invalid_settings';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid app settings:\n  ${problems.join('\n  ')}`);
  }
}

const isLoopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

/** An https URL without its trailing slashes (also the operator CLI's check of the same values). */
export const httpsUrl = z
  .url({ protocol: /^https$/, error: 'must be an https:// URL' })
  .transform((value) => value.replace(/\/+$/, ''));

/** Where people reach the app: https, or http on this machine; without trailing slashes. */
export const publicUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s):// URL' })
  .refine((value) => new URL(value).protocol === 'https:' || isLoopback(new URL(value)), {
    error: 'must use https:// unless it points at this machine',
  })
  .transform((value) => value.replace(/\/+$/, ''));

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

const dnsName = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const ipv4 = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/;
/** Domains of Microsoft's own, which a tenant cannot add (Microsoft answers a protected suffix with a 500). */
const microsoftSuffixes = ['onmicrosoft.com', 'microsoft.com', 'microsoftonline.com', 'azurewebsites.net'];

const schema = z.object({
  CLOUD: optional(z.enum(cloudNames, { error: `must be one of ${cloudNames.join(', ')}` })),
  AUTHORITY_HOST: optional(httpsUrl),
  GRAPH_ENDPOINT: optional(httpsUrl),
  KEY_VAULT_URL: z.string({ error: 'is required' }).pipe(httpsUrl),
  PUBLIC_BASE_URL: z.string({ error: 'is required' }).pipe(publicUrl),
  AzureWebJobsStorage: optional(z.string().min(1)),
  AzureWebJobsStorage__accountName: optional(z.string()),
  AzureWebJobsStorage__blobServiceUri: optional(httpsUrl),
  AzureWebJobsStorage__queueServiceUri: optional(httpsUrl),
  AzureWebJobsStorage__tableServiceUri: optional(httpsUrl),
  AzureWebJobsStorage__credential: optional(z.string()),
  AzureWebJobsStorage__clientId: optional(
    z.uuid({ error: 'must be a GUID (a managed identity’s client id)' }),
  ),
  CORE_WEBHOOK_URL: optional(publicUrl),
  INVITATION_LIFETIME_DAYS: optional(wholeNumber(1, 90)),
  CORE_REPLAY_WINDOW_HOURS: optional(wholeNumber(1, 24 * 30)),
  EVENT_RETRY_HORIZON_HOURS: optional(wholeNumber(1, 24 * 14)),
  SECRET_CACHE_SECONDS: optional(wholeNumber(0, 3600)),
  PROVISIONING_CLIENT_ID: optional(z.uuid({ error: 'must be a GUID (the provisioning app’s client id)' })),
  REPLICATION_SCHEDULE: optional(
    z
      .string()
      .regex(/^\S+( \S+){5}$/, { error: 'must be a six-field NCRONTAB expression, e.g. 0 0 2 * * *' }),
  ),
  REPLICATION_WINDOW_MINUTES: optional(wholeNumber(1, 24 * 60)),
  CREDENTIAL_CHECK_SCHEDULE: optional(
    z
      .string()
      .regex(/^\S+( \S+){5}$/, { error: 'must be a six-field NCRONTAB expression, e.g. 0 0 6 * * *' }),
  ),
  ROTATE_BEFORE_DAYS: optional(wholeNumber(1, 170)),
  SBC_BASE_DOMAIN: optional(
    z
      .string()
      .transform((value) => value.toLowerCase().replace(/\.$/, ''))
      .pipe(z.string().regex(dnsName, { error: 'must be a DNS name, e.g. customers.example.net' }))
      .refine(
        (value) => !microsoftSuffixes.some((suffix) => value === suffix || value.endsWith(`.${suffix}`)),
        {
          error: 'must be a domain of the operator’s own: Microsoft keeps its domains for itself',
        },
      ),
  ),
  // An A record: a CNAME may not share its name with the verification TXT record (RFC 1034).
  SBC_DNS_TARGET: optional(
    z.string().regex(ipv4, { error: 'must be the SBC’s public IPv4 address (the sub-domain’s A record)' }),
  ),
  SITE_DNS_VERIFY_HOURS: optional(wholeNumber(1, 24 * 30)),
  SITE_ACTIVATION_HOURS: optional(wholeNumber(1, 24 * 14)),
  ACCESS_TOKEN_REQUESTS_PER_HOUR: optional(wholeNumber(1, 3600)),
  NEAR_REAL_TIME_QUIET_SECONDS: optional(wholeNumber(1, 120)),
  REPLICATION_SLICE_SECONDS: optional(wholeNumber(10, 540)),
  RUN_HISTORY_DAYS: optional(wholeNumber(1, 3650)),
  FEED_RETENTION_DAYS: optional(wholeNumber(0, 3650)),
  REPLICATION_RETRY_HORIZON_HOURS: optional(wholeNumber(1, 72)),
  REPLICATION_LEASE_SECONDS: optional(wholeNumber(5, 900)),
  WORKFLOW_LEASE_SECONDS: optional(wholeNumber(5, 300)),
  REPLICATION_DELETE_THRESHOLD: optional(
    z
      .string()
      .refine((value) => parseDeletionThreshold(value) !== undefined, {
        error: 'must be a number of objects (e.g. 500) or a share of the replica (e.g. 5%)',
      })
      .transform((value) => parseDeletionThreshold(value) as DeletionThreshold),
  ),
});

const present = (env: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(env).filter(([, value]) => value)) as Partial<z.infer<typeof schema>>;

/** Reads and validates every setting from an environment; throws a SettingsError naming each bad one. */
export function parseSettings(env: Record<string, string | undefined>): Settings {
  const parsed = schema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const given = parsed.success ? parsed.data : present(env);
  const storage = storageConnection(given, given.CLOUD ?? 'AzurePublic');
  if (Array.isArray(storage)) problems.push(...storage);
  if (given.SBC_BASE_DOMAIN && !given.SBC_DNS_TARGET)
    problems.push('SBC_DNS_TARGET: is required with SBC_BASE_DOMAIN (where the sites’ sub-domains point)');
  if (!parsed.success || Array.isArray(storage) || problems.length > 0) throw new SettingsError(problems);
  const values = parsed.data;
  const cloud = values.CLOUD ?? 'AzurePublic';
  const authorityHost = values.AUTHORITY_HOST ?? clouds[cloud].authorityHost;
  return Object.freeze({
    cloud,
    authorityHost,
    graphEndpoint: values.GRAPH_ENDPOINT ?? clouds[cloud].graphEndpoint,
    customAuthority: authorityHost !== clouds[cloud].authorityHost,
    teamsApis: clouds[cloud].teamsApis,
    keyVaultUrl: values.KEY_VAULT_URL,
    storage,
    publicBaseUrl: values.PUBLIC_BASE_URL,
    coreWebhookUrl: values.CORE_WEBHOOK_URL,
    invitationLifetimeDays: values.INVITATION_LIFETIME_DAYS ?? 7,
    coreReplayWindowHours: values.CORE_REPLAY_WINDOW_HOURS ?? 72,
    eventRetryHorizonHours: values.EVENT_RETRY_HORIZON_HOURS ?? 24,
    secretCacheSeconds: values.SECRET_CACHE_SECONDS ?? 300,
    provisioningClientId: values.PROVISIONING_CLIENT_ID,
    replicationSchedule: values.REPLICATION_SCHEDULE ?? '0 0 2 * * *',
    replicationWindowMinutes: values.REPLICATION_WINDOW_MINUTES ?? 240,
    replicationSliceSeconds: values.REPLICATION_SLICE_SECONDS ?? 240,
    runHistoryDays: values.RUN_HISTORY_DAYS ?? 90,
    feedRetentionDays: values.FEED_RETENTION_DAYS ?? 30,
    replicationDeleteThreshold: values.REPLICATION_DELETE_THRESHOLD ?? defaultDeletionThreshold,
    replicationRetryHorizonHours: values.REPLICATION_RETRY_HORIZON_HOURS ?? 6,
    replicationLeaseSeconds: values.REPLICATION_LEASE_SECONDS ?? 120,
    workflowLeaseSeconds: values.WORKFLOW_LEASE_SECONDS,
    credentialCheckSchedule: values.CREDENTIAL_CHECK_SCHEDULE ?? '0 0 6 * * *',
    rotateBeforeDays: values.ROTATE_BEFORE_DAYS ?? 30,
    sbcBaseDomain: values.SBC_BASE_DOMAIN,
    sbcDnsTarget: values.SBC_DNS_TARGET,
    siteDnsVerifyHours: values.SITE_DNS_VERIFY_HOURS ?? 72,
    siteActivationHours: values.SITE_ACTIVATION_HOURS ?? 48,
    accessTokenRequestsPerHour: values.ACCESS_TOKEN_REQUESTS_PER_HOUR ?? 60,
    teamsPowerShellApps: clouds[cloud].teamsPowerShellApps,
    nearRealTimeQuietSeconds: values.NEAR_REAL_TIME_QUIET_SECONDS ?? 30,
  });
}

let current: Settings | undefined;

/** The app's settings, read from the process environment once and cached. */
export function settings(): Settings {
  current ??= parseSettings(process.env);
  return current;
}
