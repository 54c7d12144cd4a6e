import { existsSync, readFileSync } from 'node:fs';

/**
 * local.settings.json as Core Tools reads it (`Values` become the app's environment), plus a `LocalHost`
 * section that only this local host reads: its port and the keys that `authLevel` function and admin require.
 */
export interface LocalSettings {
  values: Record<string, string>;
  port: number;
  functionKey: string;
  masterKey: string;
}

interface LocalSettingsJson {
  Values?: Record<string, unknown>;
  Host?: { LocalHttpPort?: number };
  LocalHost?: { functionKey?: string; masterKey?: string };
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
  return { values, port: json.Host?.LocalHttpPort ?? 7071, functionKey, masterKey };
}

export function readLocalSettings(path: string): LocalSettings {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: copy local.settings.example.json to local.settings.json.`);
  }
  return localSettingsFrom(JSON.parse(readFileSync(path, 'utf8')) as LocalSettingsJson);
}
