import type { DirectoryRoleKey } from './directory-roles.js';

/** When a role is needed, as the product documentation's roles table says. */
export type RoleStage = 'onboarding' | 'onboarding_and_day_two' | 'onboarding_and_new_site';

export interface RoleRule {
  role: DirectoryRoleKey;
  purpose: string;
  stage: RoleStage;
  /** Held by the app registration's service principal, or by the admin who signs in. */
  holder: 'app' | 'signing_admin';
  /** What the rule says about removing the role. */
  rule: string;
}

/**
 * The roles table from the product documentation: the rules the validator enforces. Change the product's rules
 * here, in one place.
 */
export const rolesTable: readonly RoleRule[] = [
  {
    role: 'applicationAdministrator',
    purpose: 'Create the app registration and its Enterprise app automatically',
    stage: 'onboarding',
    holder: 'signing_admin',
    rule: 'Needed only for automatic registration; may be removed after onboarding, and the provisioning Enterprise app may be deleted.',
  },
  {
    role: 'teamsAdministrator',
    purpose:
      "The platform's Teams PowerShell: voice routes, PSTN usages, voice routing policies, dial plans, numbers (no Graph call of the connector's needs it)",
    stage: 'onboarding_and_day_two',
    holder: 'app',
    rule: 'Mandatory, or Teams Telephony Administrator together with Skype for Business Administrator.',
  },
  {
    role: 'teamsTelephonyAdministrator',
    purpose: "The platform's Teams PowerShell, split in two with Skype for Business Administrator",
    stage: 'onboarding_and_day_two',
    holder: 'app',
    rule: 'Together with Skype for Business Administrator, replaces Teams Administrator.',
  },
  {
    role: 'skypeForBusinessAdministrator',
    purpose:
      "The platform's Teams PowerShell: legacy Skype cmdlets that still get and set users, groups and members",
    stage: 'onboarding_and_day_two',
    holder: 'app',
    rule: 'Together with Teams Telephony Administrator, replaces Teams Administrator.',
  },
  {
    role: 'domainNameAdministrator',
    purpose: "Create the tenant's unique custom sub-domain (automatic DNS)",
    stage: 'onboarding_and_new_site',
    holder: 'app',
    rule: 'Needed only with automatic DNS, unless the app has Domain.ReadWrite.All; may be removed after, and added again for a new site.',
  },
  {
    role: 'userAdministrator',
    purpose: 'Create the activation user with a Phone System licence on that sub-domain',
    stage: 'onboarding_and_new_site',
    holder: 'app',
    rule: 'Needed only with automatic DNS, unless the app has User.ReadWrite.All; may be removed after, and added again for a new site.',
  },
];
