import { json } from '../http-kit.js';
import { changePolicy } from '../teams/policy-assignments.js';
import { findPolicies, knownPolicyType, policyById, type SimPolicy } from '../teams/policy-catalogue.js';
import { badRequest, graphError } from './graph-error.js';
import { type GraphContext, type GraphRoute, graphRoute, readBody } from './graph-route.js';
import { globalOnly, teamsRequirement } from './teams.js';

/** Every policy call takes this one permission (its pages list no other). */
const assignPolicies = teamsRequirement(['TeamsPolicyUserAssign.ReadWrite.All']);

interface Assignment {
  userId?: string;
  policyType?: string;
  policyId?: string;
}

const unknownType = (type: string) => badRequest(`The policy type '${type}' is not supported.`);

/**
 * Checks every entry before any takes effect (the call is all or nothing here: Microsoft does not say), then hands
 * the changes to Teams, which applies them after `policyPropagationMs`.
 */
function assignOrUnassign(context: GraphContext, assigning: boolean) {
  const entries = readBody<{ value?: Assignment[] }>(context.request)?.value;
  if (!Array.isArray(entries) || entries.length === 0)
    return badRequest(
      "The parameter 'value' in the request payload is not a valid parameter for the operation.",
    );
  const changes: { userId: string; policyType: string; policy: SimPolicy | undefined }[] = [];
  for (const entry of entries) {
    const type = knownPolicyType(entry.policyType ?? '');
    if (!type) return unknownType(entry.policyType ?? '');
    if (!entry.userId || !context.tenant.teamsConfigurations.has(entry.userId))
      return graphError(404, 'NotFound', `The user '${entry.userId ?? ''}' was not found in Teams.`);
    let policy: SimPolicy | undefined;
    if (assigning) {
      policy = policyById(context.tenant, type, entry.policyId ?? '');
      if (!policy)
        return graphError(
          404,
          'NotFound',
          `The policy '${entry.policyId ?? ''}' of type '${type}' was not found.`,
        );
    }
    changes.push({ userId: entry.userId, policyType: type, policy });
  }
  const dueAt = Date.now() + context.config.policyPropagationMs;
  for (const change of changes) changePolicy(context.tenant, { ...change, dueAt });
  return { status: 204 };
}

/**
 * Teams policies through Graph v1.0 (global service only): a policy's id by type and name, and assigning or
 * unassigning policies for users (204; the effect shows in the user's `effectivePolicyAssignments`).
 * https://learn.microsoft.com/graph/api/teamsadministration-teamspolicyassignment-getpolicyid
 * https://learn.microsoft.com/graph/api/teamsadministration-teamspolicyuserassignment-assign
 * https://learn.microsoft.com/graph/api/teamsadministration-teamspolicyuserassignment-unassign
 */
export function teamsPolicyWriteRoutes(): GraphRoute[] {
  return globalOnly([
    {
      method: 'GET',
      pattern: /^\/admin\/teams\/policy\/getPolicyId\(type='(?<type>[^']*)',name='(?<name>[^']*)'\)\/?$/i,
      requirement: assignPolicies,
      handler: (context) => {
        const type = context.request.params.type ?? '';
        if (!knownPolicyType(type)) return unknownType(type);
        const found = findPolicies(context.tenant, type, context.request.params.name ?? '');
        return json(200, {
          '@odata.context': `${context.baseUrl}/v1.0/$metadata#Collection(microsoft.graph.teamsAdministration.policyIdentifierDetail)`,
          value: found.map((policy) => ({
            '@odata.type': '#microsoft.graph.teamsAdministration.policyIdentifierDetail',
            name: policy.name,
            policyId: policy.policyId,
          })),
        });
      },
    },
    graphRoute('POST', '/admin/teams/policy/userAssignments/assign', assignPolicies, (context) =>
      assignOrUnassign(context, true),
    ),
    graphRoute('POST', '/admin/teams/policy/userAssignments/unassign', assignPolicies, (context) =>
      assignOrUnassign(context, false),
    ),
  ]);
}
