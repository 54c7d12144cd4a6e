import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { type TokenResource, tokenResources } from '../lib/access-tokens/access-token-issuer.js';

const issuedTokenSchema = z.object({
  resource: z
    .enum(tokenResources)
    .describe('`graph`: Microsoft Graph; `teams`: the Skype and Teams Tenant Admin API'),
  audience: z.string().describe('The resource the token is for (its `aud`)'),
  accessToken: z.string().describe('The app-only access token: never log or store it'),
  expiresAt: z.iso.datetime(),
  expiresInSeconds: z
    .number()
    .int()
    .describe('At least 600 when issued (a token closer to its end is renewed)'),
});

coreEndpoint({
  name: 'tenants-access-tokens',
  method: 'POST',
  route: 'tenants/{tenantId}/services/{serviceId}/access-tokens',
  summary:
    "Short-lived app-only tokens of a service's own credential for the platform's Teams PowerShell (`teams`) and Graph (`graph`): never stored, never logged",
  tag: 'Access tokens',
  params: z.object({ tenantId: z.uuid(), serviceId: z.string().min(1).max(40) }),
  body: z.strictObject({
    resources: z
      .array(z.enum(tokenResources))
      .min(1)
      .max(tokenResources.length)
      .refine((resources) => new Set(resources).size === resources.length, {
        error: 'must not repeat a resource',
      })
      .optional()
      .describe(
        'Which tokens (both when not given): `Connect-MicrosoftTeams -AccessTokens` takes graph then teams',
      ),
  }),
  responses: {
    200: {
      description:
        'The tokens (Cache-Control: no-store), each with its expiry; the issuance is audited without them.',
      schema: z.object({ tenantId: z.string(), serviceId: z.string(), tokens: z.array(issuedTokenSchema) }),
    },
    404: { description: 'No such tenant or service.' },
    409: {
      description:
        'The tenant cannot be worked in (credentials invalid: reconnect it; being offboarded or offboarded); for `teams`, the app registration does not hold Teams Administrator (or Teams Telephony Administrator with Skype for Business Administrator) now (`missingRoles`, `guidanceUrl` for the customer’s admin), its roles cannot be read, or the cloud has no app-only Teams PowerShell. Nothing is issued.',
      problemMembers: z.object({
        missingRoles: z.array(z.string()).optional(),
        guidanceUrl: z.string().optional(),
      }),
    },
    429: {
      description:
        'The tenant asked more often than ACCESS_TOKEN_REQUESTS_PER_HOUR allows; `Retry-After` (and `retryAfterSeconds`) says when to ask again.',
      problemMembers: z.object({ retryAfterSeconds: z.number().int(), limitPerHour: z.number().int() }),
    },
  },
  handler: async ({ params, body, services, requestId }) => {
    const tenantId = params.tenantId.toLowerCase();
    const resources: readonly TokenResource[] = body.resources ?? tokenResources;
    const tokens = await services.accessTokens.issue(tenantId, params.serviceId, resources, requestId);
    return { status: 200, body: { tenantId, serviceId: params.serviceId, tokens } };
  },
});
