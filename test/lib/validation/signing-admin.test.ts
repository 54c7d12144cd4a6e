import { describe, expect, it } from 'vitest';
import { directoryRoles as r } from '../../../src/lib/validation/directory-roles.js';
import { checkSigningAdmin } from '../../../src/lib/validation/signing-admin.js';

describe('checkSigningAdmin', () => {
  it.each([
    ['Global Administrator', [r.globalAdministrator.id], true, true],
    ['Application Administrator', [r.applicationAdministrator.id], true, false],
    ['Cloud Application Administrator', [r.cloudApplicationAdministrator.id], true, false],
    [
      'Application + Privileged Role Administrator',
      [r.applicationAdministrator.id, r.privilegedRoleAdministrator.id],
      true,
      true,
    ],
    ['Privileged Role Administrator alone', [r.privilegedRoleAdministrator.id], false, true],
    ['Teams Administrator', [r.teamsAdministrator.id], false, false],
    ['no role', [], false, false],
  ])('%s', (_, wids, canCreateRegistration, canGrantAndAssign) => {
    expect(checkSigningAdmin(wids)).toEqual({ canCreateRegistration, canGrantAndAssign });
  });
});
