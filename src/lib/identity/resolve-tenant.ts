const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isTenantGuid = (value: string) => guid.test(value);

/**
 * The tenant GUID behind a verified domain, from the tenant's public OpenID metadata (its issuer), or undefined
 * when Entra knows no such tenant. A GUID is returned as it is.
 */
export async function resolveTenantId(authorityHost: string, tenant: string): Promise<string | undefined> {
  if (isTenantGuid(tenant)) return tenant.toLowerCase();
  const response = await fetch(
    `${authorityHost}/${encodeURIComponent(tenant)}/v2.0/.well-known/openid-configuration`,
    {
      signal: AbortSignal.timeout(10_000),
    },
  );
  if (!response.ok) return undefined;
  const issuer = ((await response.json()) as { issuer?: string }).issuer ?? '';
  const id = issuer.split('/').find((part) => isTenantGuid(part));
  return id?.toLowerCase();
}
