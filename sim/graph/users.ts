import { createHash, randomUUID } from 'node:crypto';
import { json } from '../http-kit.js';
import { newUser, type SimUser } from '../tenant/model.js';
import type { TenantState } from '../tenant/tenant-state.js';
import { deltaQuery } from './delta.js';
import type { GraphConfig } from './graph-config.js';
import { badRequest, graphError, notFound } from './graph-error.js';
import { phoneSystemPlan, roles } from './graph-permissions.js';
import { type GraphContext, type GraphRoute, graphRoute, readBody } from './graph-route.js';
import { listPage } from './list-page.js';
import { parseEqFilter, project, selectFields } from './odata.js';
import { replicating } from './replication-delay.js';

const readUsers = {
  application: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All'],
  delegated: ['User.Read.All', 'User.ReadBasic.All', 'User.ReadWrite.All', 'Directory.Read.All'],
};

/** A user by object id or user principal name, as Graph accepts either in `/users/{id | userPrincipalName}`. */
export function findUser(tenant: TenantState, key: string): SimUser | undefined {
  const byId = tenant.users.get(key);
  if (byId) return byId;
  const wanted = key.toLowerCase();
  for (const user of tenant.users.values()) if (user.userPrincipalName.toLowerCase() === wanted) return user;
  return undefined;
}

interface NewUser {
  accountEnabled?: boolean;
  displayName?: string;
  mailNickname?: string;
  userPrincipalName?: string;
  usageLocation?: string;
  givenName?: string;
  surname?: string;
  passwordProfile?: { password?: string };
}

function createUser({ request, tenant, config }: GraphContext) {
  const body = readBody<NewUser>(request);
  const missing = (
    ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile'] as const
  ).filter((field) => body?.[field] === undefined);
  if (!body || missing.length > 0) return badRequest(`Property '${missing[0] ?? 'body'}' is required.`);
  const upn = body.userPrincipalName as string;
  const domain = upn.split('@')[1]?.toLowerCase() ?? '';
  if (
    !tenant.verifiedDomains().some((verified) => verified.toLowerCase() === domain) ||
    replicating(tenant, `verified:${domain}`, config)
  ) {
    return badRequest(
      'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
    );
  }
  if (findUser(tenant, upn)) {
    return badRequest('Another object with the same value for property userPrincipalName already exists.');
  }
  const user = tenant.addUser(
    newUser({
      id: randomUUID(),
      displayName: body.displayName as string,
      givenName: body.givenName ?? '',
      surname: body.surname ?? '',
      userPrincipalName: upn,
      accountEnabled: body.accountEnabled as boolean,
      usageLocation: body.usageLocation ?? null,
    }),
  );
  tenant.madeAt.set(`user:${user.id}`, Date.now());
  return json(201, { '@odata.context': `${request.url.origin}/$metadata#users/$entity`, ...user });
}

/**
 * What `$select=provisionedPlans` shows: with a Teams Phone licence, the `MicrosoftCommunicationsOnline` plan,
 * `PendingInput` until Teams has provisioned the user (`teamsProvisioningMs` after the licence), then `Success`.
 */
function provisionedPlans(tenant: TenantState, config: GraphConfig, user: SimUser) {
  const teamsPhone = user.assignedLicenses.some(
    (license) =>
      !license.disabledPlans.includes(phoneSystemPlan.servicePlanId) &&
      tenant.subscribedSkus
        .find((sku) => sku.skuId === license.skuId)
        ?.servicePlans.some((plan) => plan.servicePlanId === phoneSystemPlan.servicePlanId),
  );
  if (!teamsPhone) return [];
  const licensedAt = tenant.teamsLicensedAt.get(user.id) ?? 0;
  return [
    {
      capabilityStatus: 'Enabled',
      provisioningStatus: Date.now() - licensedAt >= config.teamsProvisioningMs ? 'Success' : 'PendingInput',
      service: 'MicrosoftCommunicationsOnline',
    },
  ];
}

interface AssignLicense {
  addLicenses?: { skuId?: string; disabledPlans?: string[] }[];
  removeLicenses?: string[];
}

function assignLicense({ request, tenant, config }: GraphContext) {
  const user = findUser(tenant, request.params.id ?? '');
  if (!user || replicating(tenant, `user:${user.id}`, config)) return notFound(request.params.id ?? '');
  const body = readBody<AssignLicense>(request);
  if (!body || !Array.isArray(body.addLicenses) || !Array.isArray(body.removeLicenses)) {
    return badRequest("Properties 'addLicenses' and 'removeLicenses' are required.");
  }
  if (body.addLicenses.length > 0 && !user.usageLocation) {
    return badRequest('License assignment cannot be done for user with invalid usage location.');
  }
  for (const license of body.addLicenses) {
    const sku = tenant.subscribedSkus.find((candidate) => candidate.skuId === license.skuId);
    if (!sku) return badRequest(`License ${license.skuId} does not correspond to a valid company License.`);
    const already = user.assignedLicenses.some((assigned) => assigned.skuId === sku.skuId);
    if (!already && sku.consumedUnits >= sku.prepaidUnits.enabled) {
      return badRequest(`Subscription ${sku.skuPartNumber} does not have any available licenses.`);
    }
  }
  const assigned = user.assignedLicenses.filter((license) => !body.removeLicenses?.includes(license.skuId));
  for (const license of body.addLicenses) {
    if (assigned.some((existing) => existing.skuId === license.skuId)) continue;
    assigned.push({ skuId: license.skuId as string, disabledPlans: license.disabledPlans ?? [] });
  }
  for (const sku of tenant.subscribedSkus) {
    const before = user.assignedLicenses.some((license) => license.skuId === sku.skuId);
    const after = assigned.some((license) => license.skuId === sku.skuId);
    sku.consumedUnits += Number(after) - Number(before);
    const teamsPhone = sku.servicePlans.some((plan) => plan.servicePlanId === phoneSystemPlan.servicePlanId);
    if (teamsPhone && after && !before) tenant.teamsLicensedAt.set(user.id, Date.now());
  }
  tenant.updateUser(user.id, { assignedLicenses: assigned });
  return json(200, user);
}

export function userRoutes(config: GraphConfig, baseUrl: string): GraphRoute[] {
  const usersDelta = deltaQuery('users', config, baseUrl);
  return [
    graphRoute('GET', '/users/delta', readUsers, ({ request, tenant }) => usersDelta(request, tenant)),
    graphRoute('GET', '/users', readUsers, (context) => {
      const filter = parseEqFilter(context.request);
      if (filter === 'invalid') return badRequest('Unsupported or invalid query filter clause.');
      const fields = selectFields(context.request);
      const users = [...context.tenant.users.values()].filter((user) =>
        Object.entries(filter ?? {}).every(
          ([name, value]) =>
            String((user as unknown as Record<string, unknown>)[name] ?? '').toLowerCase() ===
            value.toLowerCase(),
        ),
      );
      return listPage(context, 'users', users, (user) => project(user, fields));
    }),
    graphRoute('GET', '/users/:id', readUsers, ({ request, tenant }) => {
      const user = findUser(tenant, request.params.id ?? '');
      if (!user || replicating(tenant, `user:${user.id}`, config)) return notFound(request.params.id ?? '');
      const fields = selectFields(request);
      // Like Graph, provisionedPlans only when selected.
      const shown = fields?.includes('provisionedPlans')
        ? { ...user, provisionedPlans: provisionedPlans(tenant, config, user) }
        : user;
      return json(200, project(shown, fields));
    }),
    graphRoute(
      'POST',
      '/users',
      {
        application: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
        delegated: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
        roles: [roles.userAdministrator],
      },
      createUser,
    ),
    graphRoute(
      'POST',
      '/users/:id/assignLicense',
      {
        application: ['LicenseAssignment.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
        delegated: ['LicenseAssignment.ReadWrite.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
        roles: [roles.userAdministrator, roles.licenseAdministrator],
      },
      assignLicense,
    ),
    graphRoute(
      'GET',
      '/me',
      { application: [], delegated: ['User.Read', 'User.ReadWrite', 'User.Read.All', 'Directory.Read.All'] },
      ({ caller, tenant, request }) => {
        if (caller.kind === 'app')
          return badRequest('/me request is only valid with delegated authentication flow.');
        const user = tenant.users.get(caller.objectId);
        return user ? json(200, project(user, selectFields(request))) : notFound(caller.objectId);
      },
    ),
    ...['memberOf', 'transitiveMemberOf'].map((relation) =>
      graphRoute(
        'GET',
        `/me/${relation}/microsoft.graph.directoryRole`,
        {
          application: [],
          delegated: ['User.Read', 'Directory.Read.All', 'Directory.ReadWrite.All', 'GroupMember.Read.All'],
        },
        ({ caller, tenant, request }) => {
          if (caller.kind === 'app')
            return badRequest('/me request is only valid with delegated authentication flow.');
          // An OData cast is an advanced query: ConsistencyLevel: eventual and $count=true are required.
          if (
            String(request.headers.consistencylevel ?? '').toLowerCase() !== 'eventual' ||
            request.url.searchParams.get('$count') !== 'true'
          )
            return graphError(
              400,
              'Request_UnsupportedQuery',
              "Request with an OData cast only works with the request header 'ConsistencyLevel: eventual' and $count=true.",
            );
          // The directory roles the user holds now: active assignments (an eligible PIM role is not one).
          const value = tenant.rolesOf(caller.objectId).map((roleTemplateId) =>
            project(
              {
                '@odata.type': '#microsoft.graph.directoryRole',
                id: directoryRoleObjectId(tenant.id, roleTemplateId),
                displayName: roleDisplayName(roleTemplateId),
                roleTemplateId,
              },
              selectFields(request),
            ),
          );
          return json(200, { '@odata.count': value.length, value });
        },
      ),
    ),
  ];
}

/** A tenant's activated directory role has its own object id, not the template's. */
const directoryRoleObjectId = (tenantId: string, roleTemplateId: string) =>
  createHash('sha256')
    .update(`${tenantId}|${roleTemplateId}`)
    .digest('hex')
    .slice(0, 32)
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

const roleDisplayName = (roleTemplateId: string) =>
  Object.entries(roles)
    .find(([, id]) => id === roleTemplateId)?.[0]
    .replace(/([A-Z])/g, ' $1')
    .replace(/^./, (first) => first.toUpperCase()) ?? 'Directory role';
