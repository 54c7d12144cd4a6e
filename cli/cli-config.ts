import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the connector is and how to sign for it, as the platform core would. */
export interface CliConfig {
  url: string;
  functionKey: string;
  signingSecret: string;
}

/** What `npm start` writes for the CLI on a local run (never in the repository). */
export const localClientFile = join('.local', 'core-client.json');

/**
 * Options first, then CONNECTOR_URL / CONNECTOR_FUNCTION_KEY / CONNECTOR_SIGNING_SECRET, then the file `npm start`
 * writes. Throws naming what is missing.
 */
export function resolveConfig(
  options: { url?: string; key?: string; secret?: string },
  env: Record<string, string | undefined>,
  cwd: string,
): CliConfig {
  const file = join(cwd, localClientFile);
  const local = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<CliConfig>) : {};
  const url = options.url || env.CONNECTOR_URL || local.url;
  const functionKey = options.key || env.CONNECTOR_FUNCTION_KEY || local.functionKey;
  const signingSecret = options.secret || env.CONNECTOR_SIGNING_SECRET || local.signingSecret;
  const missing = [
    url ? undefined : '--url or CONNECTOR_URL',
    functionKey ? undefined : '--key or CONNECTOR_FUNCTION_KEY',
    signingSecret ? undefined : '--secret or CONNECTOR_SIGNING_SECRET',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new Error(
      `Missing ${missing.join(', ')} (a local run started with npm start writes ${localClientFile}).`,
    );
  }
  return {
    url: (url as string).replace(/\/+$/, ''),
    functionKey: functionKey as string,
    signingSecret: signingSecret as string,
  };
}
