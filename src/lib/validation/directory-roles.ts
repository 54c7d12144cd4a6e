/** Entra directory role template ids (docs/microsoft-facts.md) and their names, as admins see them in the portal. */
export const directoryRoles = {
  globalAdministrator: { id: '62e90394-69f5-4237-9190-012177145e10', name: 'Global Administrator' },
  privilegedRoleAdministrator: {
    id: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
    name: 'Privileged Role Administrator',
  },
  applicationAdministrator: { id: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', name: 'Application Administrator' },
  cloudApplicationAdministrator: {
    id: '158c047a-c907-4556-b7ef-446551a6b5f7',
    name: 'Cloud Application Administrator',
  },
  teamsAdministrator: { id: '69091246-20e8-4a56-aa4d-066075b2a7a8', name: 'Teams Administrator' },
  teamsTelephonyAdministrator: {
    id: 'aa38014f-0993-46e9-9b45-30501a20909d',
    name: 'Teams Telephony Administrator',
  },
  teamsCommunicationsAdministrator: {
    id: 'baf37b3a-610e-45da-9e62-d9d1e5e8914b',
    name: 'Teams Communications Administrator',
  },
  skypeForBusinessAdministrator: {
    id: '75941009-915a-4869-abe7-691bff18279e',
    name: 'Skype for Business Administrator',
  },
  domainNameAdministrator: { id: '8329153b-31d0-4727-b945-745eb3bc5f31', name: 'Domain Name Administrator' },
  userAdministrator: { id: 'fe930be7-5e62-47db-91af-98c3a49a38b1', name: 'User Administrator' },
  licenseAdministrator: { id: '4d6ac14f-3453-41d0-bef9-a3e0c569773a', name: 'License Administrator' },
} as const;

export type DirectoryRoleKey = keyof typeof directoryRoles;

export function roleName(id: string): string {
  return Object.values(directoryRoles).find((role) => role.id === id)?.name ?? id;
}
