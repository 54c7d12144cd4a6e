import { describe, expect, it } from 'vitest';
import { Directory } from '../../../sim/directory.js';
import { generateTenant, type TenantSpec } from '../../../sim/tenant/generate-tenant.js';
import type { TenantState } from '../../../sim/tenant/tenant-state.js';

const spec: TenantSpec = {
  displayName: 'Generated',
  domain: 'generated.onmicrosoft.com',
  seed: 99,
  sizes: {
    users: 200,
    groups: 20,
    membershipsPerUser: 4,
    voiceUsers: 30,
    directRoutingNumbers: 50,
    phoneSystemLicences: 40,
  },
  admins: [{ displayName: 'Ada Admin', alias: 'ada.admin', roles: ['globalAdministrator'] }],
};

const snapshot = (tenant: TenantState) =>
  JSON.stringify({
    id: tenant.id,
    users: [...tenant.users.values()],
    groups: [...tenant.groups.values()],
    members: [...tenant.members].map(([id, members]) => [id, [...members]]),
    teams: [...tenant.teamsConfigurations.values()],
    numbers: [...tenant.numberAssignments.values()],
  });

describe('generateTenant', () => {
  it('gives the same tenant for the same seed, and another for another seed', () => {
    const a = snapshot(generateTenant(new Directory(), spec));
    const b = snapshot(generateTenant(new Directory(), spec));
    const c = snapshot(generateTenant(new Directory(), { ...spec, seed: 100 }));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('honours the sizes: users (plus admins), groups, memberships, voice users and numbers', () => {
    const tenant = generateTenant(new Directory(), spec);
    expect(tenant.users.size).toBe(201);
    expect(tenant.groups.size).toBe(20);
    let memberships = 0;
    for (const members of tenant.members.values()) memberships += members.size;
    expect(memberships).toBe(201 * 4);
    expect(tenant.teamsConfigurations.size).toBe(30);
    expect(tenant.numberAssignments.size).toBe(50);
    const assigned = [...tenant.numberAssignments.values()].filter((number) => number.assignmentTargetId);
    expect(assigned).toHaveLength(30);
    expect(tenant.subscribedSkus[0]).toMatchObject({
      skuPartNumber: 'MCOEV',
      consumedUnits: 30,
      prepaidUnits: { enabled: 40 },
    });
    const admin = [...tenant.users.values()].find(
      (user) => user.userPrincipalName === 'ada.admin@generated.onmicrosoft.com',
    );
    expect(tenant.rolesOf(admin?.id as string)).toEqual(['62e90394-69f5-4237-9190-012177145e10']);
  });

  it('gives every user a unique id and user principal name', () => {
    const tenant = generateTenant(new Directory(), { ...spec, sizes: { ...spec.sizes, users: 2000 } });
    const upns = new Set([...tenant.users.values()].map((user) => user.userPrincipalName));
    expect(upns.size).toBe(tenant.users.size);
    expect(tenant.userOrder.length).toBe(tenant.users.size);
  });
});
