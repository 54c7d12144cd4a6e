import { randomUUID } from 'node:crypto';
import { json } from '../http-kit.js';
import { badRequest, graphError, notFound } from './graph-error.js';
import { type GraphRoute, graphRoute, readBody } from './graph-route.js';
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

const teamsRequirement = (permissions: string[]) => ({
  application: permissions,
  delegated: permissions,
  denied: teamsRefusal(permissions),
});
const readConfigurations = teamsRequirement(['TeamsUserConfiguration.Read.All']);
const readNumbers = teamsRequirement(['TeamsTelephoneNumber.ReadWrite.All', 'TeamsTelephoneNumber.Read.All']);
const writeNumbers = teamsRequirement(['TeamsTelephoneNumber.ReadWrite.All']);

/**
 * Teams telephony through Graph v1.0: user configurations and telephone number assignments.
 * https://learn.microsoft.com/graph/api/resources/teamsadministration-teamsuserconfiguration
 * https://learn.microsoft.com/graph/api/resources/numberassignment
 */
export function teamsRoutes(): GraphRoute[] {
  const operations = new Map<string, { id: string; status: string; createdDateTime: string }>();
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
    graphRoute(
      'POST',
      '/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber',
      writeNumbers,
      ({ request, tenant, baseUrl }) => {
        const body = readBody<{
          telephoneNumber?: string;
          assignmentTargetId?: string;
          numberType?: string;
          assignmentCategory?: 'primary' | 'private' | 'alternate';
        }>(request);
        const number = [...tenant.numberAssignments.values()].find(
          (candidate) => candidate.telephoneNumber === body?.telephoneNumber,
        );
        if (!number)
          return badRequest(`Telephone number '${body?.telephoneNumber}' was not found in the tenant.`);
        const configuration = tenant.teamsConfigurations.get(body?.assignmentTargetId ?? '');
        if (!configuration)
          return badRequest(`Assignment target '${body?.assignmentTargetId}' was not found.`);
        if (number.assignmentTargetId && number.assignmentTargetId !== configuration.id) {
          return badRequest(`Telephone number '${number.telephoneNumber}' is already assigned.`);
        }
        number.assignmentTargetId = configuration.id;
        number.assignmentCategory = body?.assignmentCategory ?? 'primary';
        number.assignmentStatus = 'userAssigned';
        configuration.telephoneNumbers = [
          ...configuration.telephoneNumbers.filter(
            (entry) => entry.telephoneNumber !== number.telephoneNumber,
          ),
          { telephoneNumber: number.telephoneNumber, assignmentCategory: number.assignmentCategory },
        ];
        const operation = {
          id: randomUUID(),
          status: 'succeeded',
          createdDateTime: new Date().toISOString(),
        };
        operations.set(operation.id, operation);
        return {
          status: 202,
          headers: {
            location: `${baseUrl}/v1.0/admin/teams/telephoneNumberManagement/operations/${operation.id}`,
          },
        };
      },
    ),
    graphRoute('GET', '/admin/teams/telephoneNumberManagement/operations/:id', readNumbers, ({ request }) => {
      const operation = operations.get(request.params.id ?? '');
      return operation ? json(200, operation) : notFound(request.params.id ?? '');
    }),
  ]);
}

/** In a national cloud these paths are unknown to Graph (they are in no national cloud's v1.0 metadata). */
function globalOnly(routes: GraphRoute[]): GraphRoute[] {
  return routes.map((route) => ({
    ...route,
    handler: (context) =>
      context.config.teamsApis
        ? route.handler(context)
        : badRequest("Resource not found for the segment 'teams'."),
  }));
}
