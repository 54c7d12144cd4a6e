import { json } from '../http-kit.js';
import { settleNumberOrders } from '../teams/number-orders.js';
import { settlePolicyChanges } from '../teams/policy-assignments.js';
import { badRequest, graphError, notFound } from './graph-error.js';
import { type GraphRoute, graphRoute } from './graph-route.js';
import { listPage, skipPage } from './list-page.js';
import { parseEqFilter } from './odata.js';

/**
 * The Teams endpoints refuse in their own words: code `forbidden` (lower case), naming the permissions
 * (as a tenant sees it: "Insufficient permission(s) for the request. API requires any of the following
 * permission(s): …", inner code `Forbidden`), not Entra's `Authorization_RequestDenied`.
 */
const teamsRefusal = (permissions: string[]) => () =>
  graphError(
    403,
    'forbidden',
    `Insufficient permission(s) for the request. API requires any of the following permission(s): ${permissions.join(',')}.`,
  );

export const teamsRequirement = (permissions: string[]) => ({
  application: permissions,
  delegated: permissions,
  denied: teamsRefusal(permissions),
});
const readConfigurations = teamsRequirement(['TeamsUserConfiguration.Read.All']);
export const readNumbers = teamsRequirement([
  'TeamsTelephoneNumber.ReadWrite.All',
  'TeamsTelephoneNumber.Read.All',
]);

/**
 * Teams telephony through Graph v1.0: user configurations and telephone number assignments.
 * https://learn.microsoft.com/graph/api/resources/teamsadministration-teamsuserconfiguration
 * https://learn.microsoft.com/graph/api/resources/numberassignment
 */
export function teamsRoutes(): GraphRoute[] {
  return globalOnly([
    graphRoute('GET', '/admin/teams/userConfigurations', readConfigurations, (context) =>
      listPage(
        context,
        'admin/teams/userConfigurations',
        [...context.tenant.teamsConfigurations.values()],
        (item) => item,
        {
          default: context.config.teamsConfigurationsPageSize,
          continuation: context.config.teamsConfigurationsNextLink,
        },
      ),
    ),
    graphRoute('GET', '/admin/teams/userConfigurations/:id', readConfigurations, ({ request, tenant }) => {
      const configuration = tenant.teamsConfigurations.get(request.params.id ?? '');
      return configuration ? json(200, configuration) : notFound(request.params.id ?? '');
    }),
    graphRoute('GET', '/admin/teams/telephoneNumberManagement/numberAssignments', readNumbers, (context) => {
      const filter = parseEqFilter(context.request);
      if (filter === 'invalid') return badRequest('Unsupported or invalid query filter clause specified.');
      const numbers = [...context.tenant.numberAssignments.values()].filter((number) =>
        Object.entries(filter ?? {}).every(
          ([name, value]) => String((number as unknown as Record<string, unknown>)[name]) === value,
        ),
      );
      return skipPage(context, 'admin/teams/telephoneNumberManagement/numberAssignments', numbers, {
        default: context.config.numberAssignmentsPageSize,
        max: 1000,
        nextLink: context.config.numberAssignmentsNextLink,
      });
    }),
  ]);
}

/**
 * The Teams administration routes: in a national cloud these paths are unknown to Graph (they are in no national
 * cloud's v1.0 metadata); in the global one, what Teams finished since the last call (number orders, policy
 * changes) shows before the call is served.
 */
export function globalOnly(routes: GraphRoute[]): GraphRoute[] {
  return routes.map((route) => ({
    ...route,
    handler: (context) => {
      if (!context.config.teamsApis) return badRequest("Resource not found for the segment 'teams'.");
      settleNumberOrders(context.tenant, context.config);
      settlePolicyChanges(context.tenant);
      return route.handler(context);
    },
  }));
}
