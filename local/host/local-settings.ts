import { existsSync, readFileSync } from 'node:fs';

/**
 * local.settings.json as Core Tools reads it (`Values` become the app's environment), plus a `LocalHost`
 * section that only this local host reads: the keys that `authLevel` function and admin require, and how long
 * a dequeued message stays invisible between renewals.
 */
export interface LocalSettings {
  values: Record<string, string>;
  port: number;
  functionKey: string;
  masterKey: string;
  /** Azure's queue trigger takes a message for 10 minutes, renewed while its function runs. */
  queueMessageLeaseSeconds?: number;
}

interface LocalSettingsJson {
  Values?: Record<string, unknown>;
  Host?: { LocalHttpPort?: number };
  LocalHost?: { functionKey?: string; masterKey?: string; queueMessageLeaseSeconds?: number };
}

export function localSettingsFrom(json: LocalSettingsJson): LocalSettings {
  const values = Object.fromEntries(
    Object.entries(json.Values ?? {}).map(([name, value]) => [name, String(value ?? '')]),
  );
  const functionKey = json.LocalHost?.functionKey;
  const masterKey = json.LocalHost?.masterKey;
  if (!functionKey || !masterKey) {
    throw new Error('local.settings.json: LocalHost.functionKey and LocalHost.masterKey are required.');
  }
  const lease = json.LocalHost?.queueMessageLeaseSeconds;
  return {
    values,
    port: json.Host?.LocalHttpPort ?? 7071,
    functionKey,
    masterKey,
    ...(lease === undefined ? {} : { queueMessageLeaseSeconds: lease }),
  };
}

export function readLocalSettings(path: string): LocalSettings {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: copy local.settings.example.json to local.settings.json.`);
  }
  return localSettingsFrom(JSON.parse(readFileSync(path, 'utf8')) as LocalSettingsJson);
}
