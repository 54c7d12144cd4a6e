/** OpenID Connect scopes, which are not permissions on a resource. */
export const oidcScopes = new Set(['openid', 'profile', 'email', 'offline_access']);

/**
 * Splits requested scopes into Graph permission names: `https://graph.microsoft.com/User.Read` (or the same
 * under the simulator's Graph endpoint) and a bare `User.Read` both mean Graph's `User.Read`.
 */
export function graphScopes(scopes: readonly string[], graphResources: readonly string[]): string[] {
  const names: string[] = [];
  for (const scope of scopes) {
    if (oidcScopes.has(scope)) continue;
    const resource = graphResources.find((candidate) => scope.startsWith(`${candidate}/`));
    const name = resource ? scope.slice(resource.length + 1) : scope.includes('/') ? undefined : scope;
    if (name && name !== '.default') names.push(name);
  }
  return names;
}
