import { createPrivateKey, KeyObject } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { SampleWorld } from './sample-world.js';
import type { Simulator } from './server.js';
import { ChangeLog } from './tenant/change-log.js';
import { TenantState } from './tenant/tenant-state.js';

/** The classes the world is made of; everything else in it is plain data, Maps, Sets and Dates. */
const classes = { TenantState, ChangeLog } as const;
type ClassName = keyof typeof classes;

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  if (original instanceof Date) return { $date: original.toISOString() };
  if (original instanceof Map) return { $map: [...original] };
  if (original instanceof Set) return { $set: [...original] };
  if (Buffer.isBuffer(original)) return { $buffer: original.toString('base64') };
  // A Key Vault certificate's private key (the simulated vault's own; the file is the owner's alone).
  if (original instanceof KeyObject)
    return { $privateKey: original.export({ format: 'pem', type: 'pkcs8' }).toString() };
  for (const [name, type] of Object.entries(classes))
    if (original instanceof type) return { $class: name, ...(original as object) };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const tagged = value as {
    $date?: string;
    $map?: [unknown, unknown][];
    $set?: unknown[];
    $buffer?: string;
    $privateKey?: string;
    $class?: ClassName;
  };
  if (tagged.$date !== undefined) return new Date(tagged.$date);
  if (tagged.$map !== undefined) return new Map(tagged.$map);
  if (tagged.$set !== undefined) return new Set(tagged.$set);
  if (tagged.$buffer !== undefined) return Buffer.from(tagged.$buffer, 'base64');
  if (tagged.$privateKey !== undefined) return createPrivateKey(tagged.$privateKey);
  if (tagged.$class !== undefined) {
    const { $class, ...fields } = tagged;
    return Object.assign(Object.create(classes[$class].prototype), fields);
  }
  return value;
}

interface WorldFile {
  world: SampleWorld;
  tenants: Simulator['directory']['tenants'];
  applications: Simulator['directory']['applications'];
  vaults: {
    name: string;
    tenantId: string;
    secrets: unknown;
    /** Absent in a world saved before certificates were kept. */
    certificates?: unknown;
    allowedAppIds: Set<string>;
  }[];
}

/**
 * Writes the simulated world (its tenants with their directories and change logs, the app registrations and
 * their secrets and certificates, the vaults with their secrets and certificates and their private keys) to `path`, whole or not at all, so `npm start --persist` continues where it stopped.
 */
export function saveWorld(path: string, simulator: Simulator, world: SampleWorld): void {
  const file: WorldFile = {
    world,
    tenants: simulator.directory.tenants,
    applications: simulator.directory.applications,
    vaults: [...simulator.vaults.values()].map(({ vault }) => ({
      name: vault.name,
      tenantId: vault.tenantId,
      secrets: vault.secrets,
      certificates: vault.certificates,
      allowedAppIds: vault.allowedAppIds,
    })),
  };
  const partial = `${path}.partial`;
  writeFileSync(partial, JSON.stringify(file, replacer), { mode: 0o600 });
  renameSync(partial, path);
}

/** Puts the world saved at `path` into a simulator just started (none there yet): undefined when there is none. */
export async function loadWorld(path: string, simulator: Simulator): Promise<SampleWorld | undefined> {
  if (!existsSync(path)) return undefined;
  const file = JSON.parse(readFileSync(path, 'utf8'), reviver) as WorldFile;
  for (const [id, tenant] of file.tenants) simulator.directory.tenants.set(id, tenant);
  for (const [appId, app] of file.applications) simulator.directory.applications.set(appId, app);
  for (const saved of file.vaults) {
    const vault = await simulator.addVault(saved.name, saved.tenantId);
    for (const [name, secret] of saved.secrets as Map<string, never>) vault.secrets.set(name, secret);
    for (const [name, certificate] of (saved.certificates ?? new Map()) as Map<string, never>)
      vault.certificates.set(name, certificate);
    for (const appId of saved.allowedAppIds) vault.allowedAppIds.add(appId);
  }
  return { ...file.world, keyVaultUrl: simulator.keyVaultUrl('connector') };
}
