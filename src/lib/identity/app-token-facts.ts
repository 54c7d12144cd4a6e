/**
 * The two facts the connector takes from an app-only Graph token of its own, although Microsoft says not to read
 * the tokens of APIs one does not own: no Graph read gives them with the permissions the app holds (its own
 * service principal and its app role assignments need Application.Read.All, which the app is not given). Both
 * claims are in Graph's v1.0 and v2.0 tokens alike; this is the only place that reads them.
 * - `roles`: the application permissions admin consent granted;
 * - `oid`: the app's service principal in the tenant (to read its directory role assignments).
 */
export function appTokenFacts(accessToken: string): { roles: string[]; servicePrincipalId: string } {
  let claims: { roles?: unknown; oid?: unknown } = {};
  try {
    claims = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    // Not a JWT: no facts.
  }
  return {
    roles: Array.isArray(claims.roles) ? claims.roles.filter((role) => typeof role === 'string') : [],
    servicePrincipalId: typeof claims.oid === 'string' ? claims.oid : '',
  };
}
