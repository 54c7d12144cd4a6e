import { json, readJson, route, type SimRequest, type SimResponse, type SimRoute } from '../http-kit.js';
import type { TokenIssuer } from '../token-issuer.js';
import type { SecretVersion, SimVault, VaultSecret } from './vault.js';
import { purgeAfterDays, seconds, vaultAccess, vaultError } from './vault-access.js';

interface SecretSetBody {
  value?: unknown;
  contentType?: string;
  tags?: Record<string, string>;
  attributes?: { enabled?: boolean; nbf?: number; exp?: number };
}

/**
 * Key Vault's secrets REST API for the operations the connector uses, behind the bearer challenge the SDK
 * expects. Served at the root of the vault's own origin, as the SDK parses secret ids from it.
 * Shapes: https://learn.microsoft.com/rest/api/keyvault/secrets
 */
export function secretsApi(
  vault: SimVault,
  vaultUrl: string,
  authorityHost: string,
  issuer: TokenIssuer,
): SimRoute[] {
  const secretId = (name: string, version?: string) =>
    `${vaultUrl}/secrets/${name}${version ? `/${version}` : ''}`;
  const attributes = (version: SecretVersion) => ({
    enabled: version.enabled,
    ...(version.notBefore ? { nbf: version.notBefore } : {}),
    ...(version.expires ? { exp: version.expires } : {}),
    created: version.created,
    updated: version.updated,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: purgeAfterDays,
  });
  const properties = (name: string, version: SecretVersion, id = secretId(name, version.version)) => ({
    id,
    attributes: attributes(version),
    tags: version.tags,
    ...(version.contentType ? { contentType: version.contentType } : {}),
  });
  const deletedProperties = (
    name: string,
    version: SecretVersion,
    deleted: NonNullable<VaultSecret['deleted']>,
  ) => ({
    ...properties(name, version),
    recoveryId: `${vaultUrl}/deletedsecrets/${name}`,
    ...deleted,
  });
  const live = (name: string) => {
    const secret = vault.secrets.get(name.toLowerCase());
    return secret && !secret.deleted ? secret : undefined;
  };
  const notFound = (name: string) =>
    vaultError(
      404,
      'SecretNotFound',
      `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
    );
  const readable = (name: string, version: SecretVersion | undefined): SimResponse => {
    if (!version) return notFound(name);
    if (!version.enabled)
      return json(403, {
        error: {
          code: 'Forbidden',
          message: 'Operation get is not allowed on a disabled secret.',
          innererror: { code: 'SecretDisabled' },
        },
      });
    return json(200, { value: version.value, ...properties(name, version) });
  };

  const access = vaultAccess(vault, authorityHost, issuer);
  const authorized = (handler: (request: SimRequest, name: string) => SimResponse) =>
    access('secrets', handler);

  const setSecret = (request: SimRequest, name: string): SimResponse => {
    if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) {
      return vaultError(400, 'BadParameter', 'The secret name must be 1-127 letters, digits and dashes.');
    }
    const body = readJson<SecretSetBody>(request);
    if (typeof body?.value !== 'string')
      return vaultError(400, 'BadParameter', 'Property value is required.');
    if (Buffer.byteLength(body.value) > 25 * 1024)
      return vaultError(400, 'BadParameter', 'The secret value exceeds 25 KB.');
    const existing = vault.secrets.get(name.toLowerCase());
    if (existing?.deleted) {
      return vaultError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
      );
    }
    const version = vault.put(name, {
      value: body.value,
      contentType: body.contentType,
      tags: body.tags,
      enabled: body.attributes?.enabled,
      notBefore: body.attributes?.nbf,
      expires: body.attributes?.exp,
    });
    return json(200, { value: version.value, ...properties(name, version) });
  };

  return [
    route('PUT', '/secrets/:name', authorized(setSecret)),
    route(
      'GET',
      '/secrets/:name/versions',
      authorized((_, name) => {
        const secret = live(name);
        if (!secret) return notFound(name);
        return json(200, {
          value: secret.versions.map((version) => properties(name, version)),
          nextLink: null,
        });
      }),
    ),
    route(
      'GET',
      '/secrets/:name/:version',
      authorized((request, name) =>
        readable(
          name,
          live(name)?.versions.find((v) => v.version === request.params.version),
        ),
      ),
    ),
    route(
      'GET',
      '/secrets/:name',
      authorized((_, name) => readable(name, live(name)?.versions.at(-1))),
    ),
    route(
      'GET',
      '/secrets',
      authorized(() => {
        const value = [...vault.secrets.entries()].flatMap(([name, secret]) => {
          const latest = secret.versions.at(-1);
          return !secret.deleted && latest ? [properties(name, latest, secretId(name))] : [];
        });
        return json(200, { value, nextLink: null });
      }),
    ),
    route(
      'GET',
      '/deletedsecrets',
      authorized(() => {
        const value = [...vault.secrets.entries()].flatMap(([name, secret]) => {
          const latest = secret.versions.at(-1);
          return secret.deleted && latest ? [deletedProperties(name, latest, secret.deleted)] : [];
        });
        return json(200, { value, nextLink: null });
      }),
    ),
    route(
      'POST',
      '/deletedsecrets/:name/recover',
      authorized((_, name) => {
        const secret = vault.secrets.get(name.toLowerCase());
        const latest = secret?.versions.at(-1);
        if (!secret?.deleted || !latest)
          return vaultError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
        secret.deleted = undefined;
        return json(200, properties(name, latest));
      }),
    ),
    route(
      'DELETE',
      '/deletedsecrets/:name',
      authorized((_, name) => {
        const secret = vault.secrets.get(name.toLowerCase());
        if (!secret?.deleted) return vaultError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
        vault.secrets.delete(name.toLowerCase());
        return { status: 204 };
      }),
    ),
    route(
      'DELETE',
      '/secrets/:name',
      authorized((_, name) => {
        const secret = live(name);
        const latest = secret?.versions.at(-1);
        if (!secret || !latest) return notFound(name);
        const now = seconds();
        secret.deleted = { deletedDate: now, scheduledPurgeDate: now + purgeAfterDays * 24 * 3600 };
        return json(200, deletedProperties(name, latest, secret.deleted));
      }),
    ),
    route(
      'GET',
      '/deletedsecrets/:name',
      authorized((_, name) => {
        const secret = vault.secrets.get(name.toLowerCase());
        const latest = secret?.versions.at(-1);
        if (!secret?.deleted || !latest)
          return vaultError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
        return json(200, deletedProperties(name, latest, secret.deleted));
      }),
    ),
  ];
}
