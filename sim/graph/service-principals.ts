import { randomUUID } from 'node:crypto';
import { json } from '../http-kit.js';
import type { SimServicePrincipal, TenantState } from '../tenant/tenant-state.js';
import { badRequest, graphError, notFound } from './graph-error.js';
import {
  graphAppId,
  graphAppRoles,
  graphDelegatedScopes,
  readApplicationObjects,
  roles,
} from './graph-permissions.js';
import { type GraphRoute, graphRoute, readBody } from './graph-route.js';
import { parseEqFilter } from './odata.js';
import { notYetReplicated, stillReplicating } from './replication-delay.js';

const createPrincipals = {
  application: ['Application.ReadWrite.All', 'Application.ReadWrite.OwnedBy'],
  delegated: ['Application.ReadWrite.All'],
  roles: [roles.applicationAdministrator, roles.cloudApplicationAdministrator],
};
/** Granting application permissions needs Privileged Role Administrator (or Global Administrator). */
const grantAppRoles = {
  application: ['AppRoleAssignment.ReadWrite.All'],
  delegated: ['AppRoleAssignment.ReadWrite.All', 'Application.ReadWrite.All', 'Directory.AccessAsUser.All'],
  roles: [roles.privilegedRoleAdministrator],
};

function render(tenant: TenantState, principal: SimServicePrincipal) {
  return {
    id: principal.id,
    appId: principal.appId,
    displayName: principal.displayName,
    appOwnerOrganizationId: tenant.id,
    servicePrincipalType: 'Application',
    accountEnabled: true,
    appRoles:
      principal.appId === graphAppId
        ? graphAppRoles.map((role) => ({
            id: role.id,
            value: role.value,
            displayName: role.value,
            description: role.value,
            allowedMemberTypes: ['Application'],
            isEnabled: true,
            origin: 'Application',
          }))
        : [],
    oauth2PermissionScopes:
      principal.appId === graphAppId
        ? graphDelegatedScopes.map((scope) => ({
            id: scope.id,
            value: scope.value,
            type: scope.type,
            adminConsentDisplayName: scope.value,
            adminConsentDescription: scope.value,
            isEnabled: true,
          }))
        : [],
  };
}

function renderAssignment(
  tenant: TenantState,
  principal: SimServicePrincipal,
  assignment: SimServicePrincipal['appRoleAssignments'][number],
) {
  return {
    id: assignment.id,
    appRoleId: assignment.appRoleId,
    createdDateTime: assignment.createdDateTime,
    principalId: principal.id,
    principalDisplayName: principal.displayName,
    principalType: 'ServicePrincipal',
    resourceId: assignment.resourceId,
    resourceDisplayName: tenant.servicePrincipals.get(assignment.resourceId)?.displayName ?? '',
  };
}

export function servicePrincipalRoutes(): GraphRoute[] {
  return [
    graphRoute('POST', '/servicePrincipals', createPrincipals, (context) => {
      const { request, tenant, directory, caller, config } = context;
      const appId = readBody<{ appId?: string }>(request)?.appId;
      const app = appId ? directory.applications.get(appId) : undefined;
      if (!app || stillReplicating(Date.parse(app.createdDateTime), config)) {
        const message = `The appId '${appId}' of the service principal does not reference a valid application object.`;
        return graphError(400, 'Request_BadRequest', message, {}, [
          { code: 'NoBackingApplicationObject', message, target: 'appId' },
        ]);
      }
      if (app.homeTenantId !== tenant.id && app.signInAudience === 'AzureADMyOrg') {
        return badRequest(
          `The application '${app.displayName}' is single-tenant and cannot be added to another tenant.`,
        );
      }
      if (tenant.servicePrincipalByAppId(app.appId)) {
        return graphError(
          409,
          'Request_MultipleObjectsWithSameKeyValue',
          'The service principal cannot be created, updated, or restored because the service principal name is already in use.',
        );
      }
      if (
        caller.kind === 'app' &&
        !caller.permissions.has('Application.ReadWrite.All') &&
        !app.ownerIds.includes(caller.objectId)
      ) {
        return graphError(
          403,
          'Authorization_RequestDenied',
          'Insufficient privileges to complete the operation.',
        );
      }
      const principal = tenant.addServicePrincipal(app.appId, app.displayName, randomUUID());
      return json(201, render(tenant, principal));
    }),
    graphRoute('GET', '/servicePrincipals', readApplicationObjects, ({ request, tenant }) => {
      const filter = parseEqFilter(request);
      if (filter === 'invalid' || (filter && Object.keys(filter).some((name) => name !== 'appId'))) {
        return badRequest('Unsupported or invalid query filter clause specified.');
      }
      const value = [...tenant.servicePrincipals.values()]
        .filter((principal) => !filter?.appId || principal.appId === filter.appId)
        .map((principal) => render(tenant, principal));
      return json(200, { value });
    }),
    graphRoute('GET', '/servicePrincipals/:id', readApplicationObjects, ({ request, tenant }) => {
      const principal = tenant.servicePrincipals.get(request.params.id ?? '');
      return principal ? json(200, render(tenant, principal)) : notFound(request.params.id ?? '');
    }),
    graphRoute('DELETE', '/servicePrincipals/:id', createPrincipals, ({ request, tenant }) => {
      const id = request.params.id ?? '';
      if (!tenant.servicePrincipals.delete(id)) return notFound(id);
      return { status: 204 };
    }),
    graphRoute(
      'GET',
      '/servicePrincipals/:id/appRoleAssignments',
      readApplicationObjects,
      ({ request, tenant }) => {
        const principal = tenant.servicePrincipals.get(request.params.id ?? '');
        if (!principal) return notFound(request.params.id ?? '');
        return json(200, {
          value: principal.appRoleAssignments.map((assignment) =>
            renderAssignment(tenant, principal, assignment),
          ),
        });
      },
    ),
    graphRoute(
      'GET',
      '/servicePrincipals/:id/appRoleAssignedTo',
      readApplicationObjects,
      ({ request, tenant }) => {
        const resourceId = request.params.id ?? '';
        if (!tenant.servicePrincipals.has(resourceId)) return notFound(resourceId);
        const value = [...tenant.servicePrincipals.values()].flatMap((principal) =>
          principal.appRoleAssignments
            .filter((assignment) => assignment.resourceId === resourceId)
            .map((assignment) => renderAssignment(tenant, principal, assignment)),
        );
        return json(200, { value });
      },
    ),
    graphRoute(
      'POST',
      '/servicePrincipals/:id/appRoleAssignedTo',
      grantAppRoles,
      ({ request, tenant, config }) => {
        const resource = tenant.servicePrincipals.get(request.params.id ?? '');
        if (!resource) return notFound(request.params.id ?? '');
        const body = readBody<{ principalId?: string; resourceId?: string; appRoleId?: string }>(request);
        const principal = tenant.servicePrincipals.get(body?.principalId ?? '');
        if (!principal) return badRequest(`Invalid principalId '${body?.principalId}'.`);
        const lagging = notYetReplicated(tenant, principal.id, config, 'invalid_reference');
        if (lagging) return lagging;
        if (body?.resourceId !== resource.id)
          return badRequest('The resourceId must be the service principal in the request URL.');
        const known =
          resource.appId === graphAppId && graphAppRoles.some((role) => role.id === body.appRoleId);
        if (!known)
          return badRequest(`Permission being assigned was not found on application '${resource.appId}'.`);
        if (principal.appRoleAssignments.some((assignment) => assignment.appRoleId === body.appRoleId)) {
          return badRequest('Permission being assigned already exists on the object.');
        }
        const assignment = {
          id: randomUUID(),
          resourceId: resource.id,
          appRoleId: body.appRoleId as string,
          createdDateTime: new Date().toISOString(),
        };
        principal.appRoleAssignments.push(assignment);
        return json(201, renderAssignment(tenant, principal, assignment));
      },
    ),
  ];
}
