/** Microsoft Graph's first-party application. */
export const graphAppId = '00000003-0000-0000-c000-000000000000';
export const publicGraphResource = 'https://graph.microsoft.com';

/**
 * Graph's application permissions (app roles) as its service principal publishes them, with the ids of
 * Microsoft's permissions reference (https://learn.microsoft.com/graph/permissions-reference); the Teams ones as
 * tenants' consented permissions list them. The connector resolves every permission by `value` from the service
 * principal's `appRoles`, as it must against the real Graph.
 */
export const graphAppRoles: { id: string; value: string }[] = [
  { id: 'df021288-bdef-4463-88db-98f22de89214', value: 'User.Read.All' },
  { id: '741f803b-c850-494e-b5df-cde7c675a1ca', value: 'User.ReadWrite.All' },
  { id: '5b567255-7703-4780-807c-7be8301ae99b', value: 'Group.Read.All' },
  { id: '98830695-27a2-44f7-8c18-0c3ebc9698f6', value: 'GroupMember.Read.All' },
  { id: '7ab1d382-f21e-4acd-a863-ba3e13f7da61', value: 'Directory.Read.All' },
  { id: '7e05723c-0bb0-42da-be95-ae9f08a6e53c', value: 'Domain.ReadWrite.All' },
  { id: '498476ce-e0fe-48b0-b801-37ba7e2685c6', value: 'Organization.Read.All' },
  { id: '18a4783c-866b-4cc7-a460-3d5e5662c884', value: 'Application.ReadWrite.OwnedBy' },
  { id: '5facf0c1-8979-4e95-abcf-ff3d079771c0', value: 'LicenseAssignment.ReadWrite.All' },
  { id: '483bed4a-2ad3-4361-a73b-c83ccdbdc53c', value: 'RoleManagement.Read.Directory' },
  { id: '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30', value: 'Application.Read.All' },
  { id: '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9', value: 'Application.ReadWrite.All' },
  { id: '06b708a9-e830-4db3-a914-8e69da51d44f', value: 'AppRoleAssignment.ReadWrite.All' },
  { id: '19dbc75e-c2e2-444c-a770-ec69d8559fc7', value: 'Directory.ReadWrite.All' },
  { id: '62a82d76-70ea-41e2-9197-370581804d09', value: 'Group.ReadWrite.All' },
  { id: '9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8', value: 'RoleManagement.ReadWrite.Directory' },
  { id: 'a91eadaf-2c3c-4362-908b-fb172d208fc6', value: 'TeamsUserConfiguration.Read.All' },
  { id: '39b17d18-680c-41f4-b9c2-5f30629e7cb6', value: 'TeamsTelephoneNumber.Read.All' },
  { id: '0a42382f-155c-4eb1-9bdc-21548ccaa387', value: 'TeamsTelephoneNumber.ReadWrite.All' },
  { id: '1801e8f4-cf09-4c4e-a1b5-036dfcca6c90', value: 'TeamsPolicyUserAssign.ReadWrite.All' },
];

/**
 * Graph's delegated permissions (`oauth2PermissionScopes`) the simulator knows, with the ids of Microsoft's
 * permissions reference (https://learn.microsoft.com/graph/permissions-reference).
 */
export const graphDelegatedScopes: { id: string; value: string; type: 'User' | 'Admin' }[] = [
  { id: '37f7f235-527c-4136-accd-4a02d197296e', value: 'openid', type: 'User' },
  { id: '14dad69e-099b-42c9-810b-d002981feec1', value: 'profile', type: 'User' },
  { id: '64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0', value: 'email', type: 'User' },
  { id: '7427e0e9-2fba-42fe-b0c0-848c9e6a8182', value: 'offline_access', type: 'User' },
  { id: 'e1fe6dd8-ba31-4d61-89e7-88639da4683d', value: 'User.Read', type: 'User' },
  { id: 'bdfbf15f-ee85-4955-8675-146e8e5296b5', value: 'Application.ReadWrite.All', type: 'Admin' },
  { id: '84bccea3-f856-4a8a-967b-dbe0a3d53a64', value: 'AppRoleAssignment.ReadWrite.All', type: 'Admin' },
  { id: 'd01b97e9-cbc0-49fe-810a-750afd5527a3', value: 'RoleManagement.ReadWrite.Directory', type: 'Admin' },
  { id: '06da0dbc-49e2-44d2-8312-53f166ab848a', value: 'Directory.Read.All', type: 'Admin' },
  { id: 'c5366453-9fb0-48a5-a156-24f0c49a4b84', value: 'Directory.ReadWrite.All', type: 'Admin' },
];

export const graphAppRoleValue = (id: string) => graphAppRoles.find((role) => role.id === id)?.value;
export const graphAppRoleId = (value: string) => graphAppRoles.find((role) => role.value === value)?.id;

/** Directory role template ids (docs/microsoft-facts.md). */
export const roles = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  privilegedRoleAdministrator: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  applicationAdministrator: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
  cloudApplicationAdministrator: '158c047a-c907-4556-b7ef-446551a6b5f7',
  teamsAdministrator: '69091246-20e8-4a56-aa4d-066075b2a7a8',
  teamsTelephonyAdministrator: 'aa38014f-0993-46e9-9b45-30501a20909d',
  teamsCommunicationsAdministrator: 'baf37b3a-610e-45da-9e62-d9d1e5e8914b',
  skypeForBusinessAdministrator: '75941009-915a-4869-abe7-691bff18279e',
  domainNameAdministrator: '8329153b-31d0-4727-b945-745eb3bc5f31',
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  licenseAdministrator: '4d6ac14f-3453-41d0-bef9-a3e0c569773a',
} as const;

/** The Phone System service plan (Microsoft's licensing service plan reference). */
export const phoneSystemPlan = {
  servicePlanId: '4828c8ec-dc2e-4779-b502-87ac9ce28ab7',
  servicePlanName: 'MCOEV',
};

/** What lets a caller read applications and service principals (Graph lists the same permissions for both). */
export const readApplicationObjects = {
  application: [
    'Application.Read.All',
    'Application.ReadWrite.All',
    'Application.ReadWrite.OwnedBy',
    'Directory.Read.All',
  ],
  delegated: ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All'],
};
