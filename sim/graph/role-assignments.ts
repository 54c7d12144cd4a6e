import { json } from '../http-kit.js';
import type { TenantState } from '../tenant/tenant-state.js';
import { badRequest, notFound } from './graph-error.js';
import { roles } from './graph-permissions.js';
import { type GraphRoute, graphRoute, readBody } from './graph-route.js';
import { parseEqFilter } from './odata.js';
import { notYetReplicated } from './replication-delay.js';

const knownRoles = new Set<string>(Object.values(roles));

const readAssignments = {
  application: ['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', 'Directory.Read.All'],
  delegated: ['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', 'Directory.Read.All'],
};
/** Assigning directory roles needs Privileged Role Administrator (or Global Administrator). */
const writeAssignments = {
  application: ['RoleManagement.ReadWrite.Directory'],
  delegated: ['RoleManagement.ReadWrite.Directory'],
  roles: [roles.privilegedRoleAdministrator],
};

const principalExists = (tenant: TenantState, id: string) =>
  tenant.users.has(id) || tenant.servicePrincipals.has(id);

/** `roleManagement/directory/roleAssignments`: https://learn.microsoft.com/graph/api/resources/unifiedroleassignment */
export function roleAssignmentRoutes(): GraphRoute[] {
  return [
    graphRoute('GET', '/roleManagement/directory/roleAssignments', readAssignments, ({ request, tenant }) => {
      const filter = parseEqFilter(request);
      if (
        filter === 'invalid' ||
        (filter && Object.keys(filter).some((name) => !['principalId', 'roleDefinitionId'].includes(name)))
      ) {
        return badRequest('Unsupported or invalid query filter clause specified.');
      }
      // Eligible (PIM) assignments are role eligibility schedules, not role assignments.
      const value = [...tenant.roleAssignments.values()].filter(
        (assignment) =>
          !assignment.eligible &&
          (!filter?.principalId || assignment.principalId === filter.principalId) &&
          (!filter?.roleDefinitionId || assignment.roleDefinitionId === filter.roleDefinitionId),
      );
      return json(200, { value });
    }),
    graphRoute(
      'POST',
      '/roleManagement/directory/roleAssignments',
      writeAssignments,
      ({ request, tenant, config }) => {
        const body = readBody<{ principalId?: string; roleDefinitionId?: string; directoryScopeId?: string }>(
          request,
        );
        if (!body?.principalId || !principalExists(tenant, body.principalId)) {
          return badRequest(`The principal '${body?.principalId}' does not exist.`);
        }
        const lagging = notYetReplicated(tenant, body.principalId, config, 'not_found');
        if (lagging) return lagging;
        if (!body.roleDefinitionId || !knownRoles.has(body.roleDefinitionId)) {
          return badRequest(`The role definition '${body.roleDefinitionId}' does not exist.`);
        }
        if (body.directoryScopeId !== '/') return badRequest("Only the directory scope '/' is supported.");
        const exists = [...tenant.roleAssignments.values()].some(
          (assignment) =>
            assignment.principalId === body.principalId &&
            assignment.roleDefinitionId === body.roleDefinitionId,
        );
        if (exists)
          return badRequest(
            'A conflicting object with one or more of the specified property values is present in the directory.',
          );
        return json(201, tenant.assignRole(body.principalId, body.roleDefinitionId));
      },
    ),
    graphRoute(
      'DELETE',
      '/roleManagement/directory/roleAssignments/:id',
      writeAssignments,
      ({ request, tenant }) => {
        const id = request.params.id ?? '';
        return tenant.roleAssignments.delete(id) ? { status: 204 } : notFound(id);
      },
    ),
  ];
}
