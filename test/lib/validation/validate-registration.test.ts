import { describe, expect, it } from 'vitest';
import { directoryRoles as r } from '../../../src/lib/validation/directory-roles.js';
import { requiredPermissions } from '../../../src/lib/validation/required-permissions.js';
import {
  type ValidationInput,
  validateRegistration,
} from '../../../src/lib/validation/validate-registration.js';

const allPermissions = [
  ...requiredPermissions.replication,
  ...requiredPermissions.selfRotation,
  ...requiredPermissions.automaticDns,
];
const base: ValidationInput = {
  automaticDns: false,
  dnsWorkPending: false,
  appRoleIds: [r.teamsAdministrator.id],
  grantedPermissions: [...requiredPermissions.replication, ...requiredPermissions.selfRotation],
  changesItself: true,
};
const requirement = (input: ValidationInput, id: string) =>
  validateRegistration(input).requirements.find((entry) => entry.id === id);
const role = (input: ValidationInput, id: string) =>
  validateRegistration(input).roles.find((entry) => entry.id === id);

describe('validateRegistration: verdicts', () => {
  it.each([
    ['Teams Administrator and every permission', base, 'ready'],
    [
      'the Teams Telephony Administrator + Skype for Business Administrator pair',
      { ...base, appRoleIds: [r.teamsTelephonyAdministrator.id, r.skypeForBusinessAdministrator.id] },
      'ready',
    ],
    ['only half of the pair', { ...base, appRoleIds: [r.teamsTelephonyAdministrator.id] }, 'blocked'],
    ['no role at all', { ...base, appRoleIds: [] }, 'blocked'],
    [
      'a replication permission not consented',
      { ...base, grantedPermissions: base.grantedPermissions.filter((p) => p !== 'User.Read.All') },
      'blocked',
    ],
    [
      'no self-rotation permission',
      { ...base, grantedPermissions: [...requiredPermissions.replication] },
      'action_required',
    ],
    [
      'OwnedBy granted to an app that does not own itself',
      { ...base, changesItself: false },
      'action_required',
    ],
    [
      'automatic DNS pending with its permissions and without its roles (either route does)',
      { ...base, automaticDns: true, dnsWorkPending: true, grantedPermissions: allPermissions },
      'ready',
    ],
    [
      'automatic DNS pending with neither its roles nor its permissions',
      { ...base, automaticDns: true, dnsWorkPending: true },
      'action_required',
    ],
    [
      'automatic DNS pending with its roles and only the licence-reading permission',
      {
        ...base,
        automaticDns: true,
        dnsWorkPending: true,
        grantedPermissions: [...base.grantedPermissions, 'Organization.Read.All'],
        appRoleIds: [r.teamsAdministrator.id, r.domainNameAdministrator.id, r.userAdministrator.id],
      },
      'ready',
    ],
    [
      'automatic DNS pending with its roles',
      {
        ...base,
        automaticDns: true,
        dnsWorkPending: true,
        grantedPermissions: allPermissions,
        appRoleIds: [r.teamsAdministrator.id, r.domainNameAdministrator.id, r.userAdministrator.id],
      },
      'ready',
    ],
    [
      'automatic DNS with nothing pending and no DNS roles',
      { ...base, automaticDns: true, dnsWorkPending: false },
      'ready',
    ],
    [
      'Global Administrator alone (over-privileged, but working)',
      {
        ...base,
        appRoleIds: [r.globalAdministrator.id],
        automaticDns: true,
        dnsWorkPending: true,
        grantedPermissions: allPermissions,
      },
      'ready',
    ],
    [
      'broader permissions that include the needed ones',
      {
        ...base,
        grantedPermissions: [
          'Directory.Read.All',
          'TeamsUserConfiguration.Read.All',
          'TeamsTelephoneNumber.ReadWrite.All',
          'Application.ReadWrite.OwnedBy',
        ],
      },
      'ready',
    ],
  ])('%s → %s', (_, input, verdict) => {
    expect(validateRegistration(input as ValidationInput).verdict).toBe(verdict);
  });
});

describe('validateRegistration: what is missing, and what to do', () => {
  it('names the missing half of the pair', () => {
    const replication = requirement(
      { ...base, appRoleIds: [r.teamsTelephonyAdministrator.id] },
      'teams_powershell',
    );
    expect(replication).toMatchObject({
      satisfied: false,
      missingRoles: ['Skype for Business Administrator'],
    });
    expect(replication?.action).toBe('Assign Skype for Business Administrator to the app registration.');
  });

  it('offers both ways to satisfy replication when no role is held', () => {
    expect(requirement({ ...base, appRoleIds: [] }, 'teams_powershell')?.action).toBe(
      'Assign Teams Administrator to the app registration (or Teams Telephony Administrator together with Skype for Business Administrator).',
    );
  });

  it('names missing permissions and asks for admin consent', () => {
    const input = { ...base, grantedPermissions: ['Application.ReadWrite.OwnedBy'] };
    const report = validateRegistration(input);
    expect(report.permissions.missing).toEqual([...requiredPermissions.replication]);
    expect(requirement(input, 'replication')?.action).toContain(
      'Replication: read users: grant admin consent for User.Read.All.',
    );
    expect(requirement(input, 'replication')?.missingRoles).toEqual([]);
  });

  it('does not call rotation satisfied while OwnedBy reaches no app: it asks for the app as its own owner', () => {
    const rotation = requirement({ ...base, changesItself: false }, 'self_rotation');
    expect(rotation?.satisfied).toBe(false);
    expect(rotation?.missingPermissions).toEqual([]);
    expect(rotation?.action).toContain('make the app registration an owner of itself');
    expect(rotation?.action).toContain('New-MgApplicationOwnerByRef');
    expect(rotation?.operations.find((operation) => operation.id === 'own_itself')?.satisfied).toBe(false);
    const owned = requirement(base, 'self_rotation');
    expect(owned?.satisfied).toBe(true);
    expect(owned?.operations.find((operation) => operation.id === 'own_itself')?.satisfied).toBe(true);
  });

  it('asks for the change notification permissions only while near-real-time replication is on', () => {
    expect(requirement(base, 'near_real_time')).toBeUndefined();
    expect(validateRegistration(base).verdict).toBe('ready');
    const on = { ...base, nearRealTime: true };
    const lacking = requirement(on, 'near_real_time');
    expect(lacking).toMatchObject({ satisfied: false, missingPermissions: ['Group.Read.All'] });
    expect(validateRegistration(on).verdict).toBe('action_required');
    const granted = { ...on, grantedPermissions: [...base.grantedPermissions, 'Group.Read.All'] };
    expect(requirement(granted, 'near_real_time')?.satisfied).toBe(true);
    expect(validateRegistration(granted).verdict).toBe('ready');
    // Off, Group.Read.All is more than the connector needs.
    expect(
      validateRegistration({ ...granted, nearRealTime: false }).warnings.map((warning) => warning.message),
    ).toContain('The app has Group.Read.All, which the connector does not need (or more than it needs).');
  });

  it('asks for the write-back permissions only while write-back is on, and never in a cloud without Teams', () => {
    expect(requirement(base, 'write_back')).toBeUndefined();
    const on = { ...base, writeBack: true };
    expect(requirement(on, 'write_back')).toMatchObject({
      satisfied: false,
      missingPermissions: ['TeamsTelephoneNumber.ReadWrite.All', 'TeamsPolicyUserAssign.ReadWrite.All'],
    });
    // Missing, they hold back write-back only: replication goes on.
    expect(validateRegistration(on).verdict).toBe('action_required');
    const granted = {
      ...on,
      grantedPermissions: [...base.grantedPermissions, ...requiredPermissions.writeBack],
    };
    expect(requirement(granted, 'write_back')?.satisfied).toBe(true);
    expect(validateRegistration(granted).verdict).toBe('ready');
    // Off, they are more than the connector needs: the report says they can go.
    const offMessages = validateRegistration({ ...granted, writeBack: false }).warnings.map(
      (warning) => warning.message,
    );
    for (const permission of requiredPermissions.writeBack)
      expect(offMessages).toContain(
        `The app has ${permission}, which the connector does not need (or more than it needs).`,
      );
    expect(requirement({ ...on, teamsApis: false }, 'write_back')).toBeUndefined();
  });

  it('says, without failing rotation, when Graph would not show whether the app owns itself', () => {
    const report = validateRegistration({ ...base, changesItself: null });
    expect(report.verdict).toBe('ready');
    expect(report.warnings.map((warning) => warning.code)).toContain('self_ownership_unknown');
    expect(validateRegistration(base).warnings.map((warning) => warning.code)).not.toContain(
      'self_ownership_unknown',
    );
  });

  it('says how replication is satisfied', () => {
    expect(requirement(base, 'teams_powershell')?.satisfiedBy).toBe('Teams Administrator');
    expect(
      requirement(
        { ...base, appRoleIds: [r.teamsTelephonyAdministrator.id, r.skypeForBusinessAdministrator.id] },
        'teams_powershell',
      )?.satisfiedBy,
    ).toBe('Teams Telephony Administrator + Skype for Business Administrator');
  });

  it('lists what automatic DNS lacks, a role or a permission for each operation, only while DNS work is pending', () => {
    const pending = {
      ...base,
      automaticDns: true,
      dnsWorkPending: true,
      grantedPermissions: [...base.grantedPermissions, 'Organization.Read.All'],
      appRoleIds: [r.teamsAdministrator.id, r.domainNameAdministrator.id],
    };
    const dns = requirement(pending, 'automatic_dns');
    expect(dns).toMatchObject({
      satisfied: false,
      missingRoles: ['User Administrator'],
      missingPermissions: ['User.ReadWrite.All'],
    });
    expect(dns?.action).toBe(
      'Sites: create and read the activation user: assign User Administrator to the app registration, or grant admin consent for User.ReadWrite.All. ' +
        'Sites: give the activation user a Teams Phone licence: assign User Administrator to the app registration, or grant admin consent for User.ReadWrite.All or LicenseAssignment.ReadWrite.All.',
    );
    expect(dns?.operations.find((operation) => operation.id === 'manage_domains')).toMatchObject({
      satisfied: true,
      satisfiedBy: 'Domain Name Administrator',
      accepts: ['Domain Name Administrator', 'Domain.ReadWrite.All'],
    });
    expect(requirement({ ...pending, dnsWorkPending: false }, 'automatic_dns')).toMatchObject({
      satisfied: true,
      missingRoles: [],
    });
  });

  it('leaves automatic DNS out of the report when the option is not chosen', () => {
    expect(requirement(base, 'automatic_dns')).toBeUndefined();
  });
});

describe('validateRegistration: what may be removed', () => {
  it('marks DNS roles removable once their work is done, and needed while it is pending', () => {
    const after = {
      ...base,
      automaticDns: true,
      appRoleIds: [r.teamsAdministrator.id, r.domainNameAdministrator.id, r.userAdministrator.id],
    };
    expect(role(after, r.domainNameAdministrator.id)).toMatchObject({
      held: true,
      neededNow: false,
      removableNow: true,
    });
    expect(role({ ...after, dnsWorkPending: true }, r.userAdministrator.id)).toMatchObject({
      held: true,
      neededNow: true,
      removableNow: false,
    });
  });

  it('marks a DNS role removable while a permission the app holds does its operations, and says which', () => {
    const both = {
      ...base,
      automaticDns: true,
      dnsWorkPending: true,
      grantedPermissions: allPermissions,
      appRoleIds: [r.teamsAdministrator.id, r.domainNameAdministrator.id, r.userAdministrator.id],
    };
    expect(role(both, r.userAdministrator.id)).toMatchObject({
      held: true,
      neededNow: false,
      removableNow: true,
      note: 'Not needed while the app has User.ReadWrite.All (app-only calls succeed with either).',
      neededFor: [
        'Sites: create and read the activation user',
        'Sites: give the activation user a Teams Phone licence',
      ],
    });
  });

  it('says for each role and permission which operation needs it; Teams roles serve the platform, not Graph', () => {
    const report = validateRegistration(base);
    expect(role(base, r.teamsAdministrator.id)?.neededFor).toEqual([
      expect.stringContaining("The platform's Teams PowerShell"),
    ]);
    expect(report.permissions.neededFor).toContainEqual({
      permission: 'Domain.ReadWrite.All',
      operations: ["Sites: add, and verify, the site's sub-domain"],
    });
    expect(report.permissions.neededFor).toContainEqual({
      permission: 'User.Read.All',
      operations: ['Replication: read users', 'Near-real-time: change notifications of users'],
    });
  });

  it('marks the pair removable when Teams Administrator is held too', () => {
    const both = {
      ...base,
      appRoleIds: [
        r.teamsAdministrator.id,
        r.teamsTelephonyAdministrator.id,
        r.skypeForBusinessAdministrator.id,
      ],
    };
    expect(role(both, r.teamsTelephonyAdministrator.id)).toMatchObject({
      removableNow: true,
      note: 'Not needed while the app holds Teams Administrator.',
    });
    expect(role(both, r.teamsAdministrator.id)).toMatchObject({ removableNow: false });
  });

  it('reports the signing admin’s Application Administrator role as not the app’s', () => {
    expect(role(base, r.applicationAdministrator.id)).toMatchObject({
      holder: 'signing_admin',
      held: null,
      removableNow: false,
    });
  });

  it.each([
    ['Global Administrator', r.globalAdministrator.id, 'over_privileged_global_administrator'],
    [
      'Application Administrator on the app',
      r.applicationAdministrator.id,
      'application_administrator_on_app',
    ],
    ['a role outside the table', r.privilegedRoleAdministrator.id, 'role_not_needed'],
  ])('warns about %s', (_, id, code) => {
    const report = validateRegistration({ ...base, appRoleIds: [r.teamsAdministrator.id, id] });
    expect(report.warnings.map((warning) => warning.code)).toContain(code);
  });

  it('says a role is unknown, not missing, when the role assignments could not be read', () => {
    const report = validateRegistration({ ...base, appRoleIds: null });
    expect(report.roles.every((entry) => entry.held === null && !entry.removableNow)).toBe(true);
    expect(report.warnings.map((warning) => warning.code)).toContain('roles_unreadable');
  });

  it('lists permissions the connector does not need', () => {
    const report = validateRegistration({
      ...base,
      grantedPermissions: [...base.grantedPermissions, 'Directory.ReadWrite.All', 'Mail.Read'],
    });
    expect(report.permissions.notNeeded).toEqual(['Directory.ReadWrite.All', 'Mail.Read']);
    expect(report.warnings.filter((warning) => warning.code === 'permission_not_needed')).toHaveLength(2);
  });

  it('lists every role of the table, in its order', () => {
    expect(validateRegistration(base).roles.map((entry) => entry.name)).toEqual([
      'Application Administrator',
      'Teams Administrator',
      'Teams Telephony Administrator',
      'Skype for Business Administrator',
      'Domain Name Administrator',
      'User Administrator',
    ]);
  });
});
