import type { ConnectorFixture } from './connector-fixture.js';

type Role = 'globalAdministrator' | 'privilegedRoleAdministrator' | 'applicationAdministrator';

/** A small generated tenant whose one admin holds `role`; returns its id and the admin's sign-in name. */
export function tenantWithAdmin(
  connector: ConnectorFixture,
  input: { name: string; alias: string; seed: number; role?: Role },
) {
  const domain = `${input.name.toLowerCase().replace(/[^a-z0-9]/g, '')}.onmicrosoft.com`;
  const summary = connector.simulator.control.generateTenant({
    displayName: input.name,
    domain,
    seed: input.seed,
    sizes: { users: 2 },
    admins: [
      {
        displayName: `${input.alias} admin`,
        alias: input.alias,
        roles: [input.role ?? 'globalAdministrator'],
      },
    ],
  });
  return { id: summary.id, admin: `${input.alias}@${domain}` };
}
