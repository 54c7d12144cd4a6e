/** The groups (two or more) of services whose secrets are one and the same, in the services' order. */
export function sharedSecretGroups(secrets: readonly { serviceId: string; secret: string }[]): string[][] {
  const bySecret = new Map<string, string[]>();
  for (const { serviceId, secret } of secrets)
    bySecret.set(secret, [...(bySecret.get(secret) ?? []), serviceId]);
  return [...bySecret.values()].filter((group) => group.length > 1);
}
