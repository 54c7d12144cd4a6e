import { createHash } from 'node:crypto';
import type { Directory } from '../directory.js';
import { phoneSystemPlan, roles } from '../graph/graph-permissions.js';
import { phoneSystemSkuId } from '../teams/number-orders.js';
import { findPolicies } from '../teams/policy-catalogue.js';
import type { SimTeamsUserConfiguration, SimUser } from './model.js';
import { pick, seededRandom, seededUuid } from './random.js';
import type { TenantState } from './tenant-state.js';

export interface TenantSizes {
  users: number;
  groups: number;
  /** Groups each user belongs to (fewer when there are fewer groups). */
  membershipsPerUser: number;
  /** Users with a Teams Phone licence, Enterprise Voice and a Direct Routing number. */
  voiceUsers: number;
  /** Direct Routing numbers in the tenant; the first `voiceUsers` are assigned. */
  directRoutingNumbers: number;
  /** Phone System licences bought (at least `voiceUsers`). */
  phoneSystemLicences: number;
}

export interface TenantSpec {
  displayName: string;
  /** The initial domain, e.g. contoso.onmicrosoft.com. */
  domain: string;
  id?: string;
  seed: number;
  sizes: Partial<TenantSizes>;
  /** Administrators to create first, with the directory roles they hold (role names as in `roles`). */
  admins?: { displayName: string; alias: string; roles: (keyof typeof roles)[] }[];
}

export const defaultSizes: TenantSizes = {
  users: 25,
  groups: 5,
  membershipsPerUser: 2,
  voiceUsers: 10,
  directRoutingNumbers: 20,
  phoneSystemLicences: 15,
};

const firstNames = [
  'Ada',
  'Alan',
  'Grace',
  'Linus',
  'Margaret',
  'Dennis',
  'Barbara',
  'Ken',
  'Radia',
  'Tim',
  'Frances',
  'Edsger',
  'Hedy',
  'John',
  'Katherine',
  'Donald',
  'Shafi',
  'Leslie',
  'Sophie',
  'Niklaus',
];
const lastNames = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Torvalds',
  'Hamilton',
  'Ritchie',
  'Liskov',
  'Thompson',
  'Perlman',
  'Berners-Lee',
  'Allen',
  'Dijkstra',
  'Lamarr',
  'McCarthy',
  'Johnson',
  'Knuth',
  'Goldwasser',
  'Lamport',
  'Wilson',
  'Wirth',
];
const locations = ['GB', 'US', 'DE', 'FR', 'NL', 'IE'];
const departments = ['Sales', 'Support', 'Finance', 'Engineering', 'Operations', 'Marketing'];

/**
 * Builds a tenant from a seed and sizes: the same spec always gives the same ids, names, memberships and
 * numbers. Seeded objects are not change-logged: a first (full) delta sync sees them all.
 */
/** A stable GUID-shaped id for a seeded object that must not draw from the seeded sequence. */
const opaqueId = (seed: string) =>
  createHash('sha256')
    .update(seed)
    .digest('hex')
    .slice(0, 32)
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

export function generateTenant(directory: Directory, spec: TenantSpec): TenantState {
  const sizes = { ...defaultSizes, ...spec.sizes };
  const random = seededRandom(spec.seed);
  const tenant = directory.addTenant({
    displayName: spec.displayName,
    domain: spec.domain,
    id: spec.id ?? seededUuid(random),
  });
  tenant.subscribedSkus.push({
    id: `${tenant.id}_${phoneSystemSkuId}`,
    skuId: phoneSystemSkuId,
    skuPartNumber: 'MCOEV',
    capabilityStatus: 'Enabled',
    appliesTo: 'User',
    consumedUnits: 0,
    prepaidUnits: {
      enabled: Math.max(sizes.phoneSystemLicences, sizes.voiceUsers),
      suspended: 0,
      warning: 0,
      lockedOut: 0,
    },
    servicePlans: [{ ...phoneSystemPlan, provisioningStatus: 'Success', appliesTo: 'User' }],
  });

  const makeUser = (displayName: string, alias: string, index: number): SimUser => {
    const [givenName = '', surname = ''] = displayName.split(' ');
    const upn = `${alias}@${spec.domain}`.toLowerCase();
    return {
      id: seededUuid(random),
      displayName,
      givenName,
      surname,
      userPrincipalName: upn,
      mail: upn,
      accountEnabled: index % 20 !== 19,
      usageLocation: pick(random, locations),
      jobTitle: `${pick(random, departments)} specialist`,
      businessPhones: [],
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: 'en-GB',
      assignedLicenses: [],
    };
  };

  for (const admin of spec.admins ?? []) {
    const user = tenant.addUser(makeUser(admin.displayName, admin.alias, 0), false);
    for (const role of admin.roles) tenant.assignRole(user.id, roles[role]);
  }
  for (let index = 0; index < sizes.users; index += 1) {
    const first = pick(random, firstNames);
    const last = pick(random, lastNames);
    tenant.addUser(
      makeUser(`${first} ${last}`, `${first}.${last}.${index}`.replace(/[^a-z0-9.]/gi, ''), index),
      false,
    );
  }

  for (let index = 0; index < sizes.groups; index += 1) {
    const name = `${pick(random, departments)} team ${index}`;
    const nickname = name.toLowerCase().replace(/[^a-z0-9]/g, '-');
    tenant.addGroup(
      {
        id: seededUuid(random),
        displayName: name,
        description: `Generated group ${index}`,
        mail: `${nickname}@${spec.domain}`,
        mailEnabled: true,
        mailNickname: nickname,
        securityEnabled: index % 2 === 0,
        groupTypes: index % 2 === 0 ? [] : ['Unified'],
      },
      false,
    );
  }

  const groupIds = tenant.groupOrder;
  const perUser = Math.min(sizes.membershipsPerUser, groupIds.length);
  const userIds = tenant.userOrder;
  for (const userId of userIds) {
    let added = 0;
    const chosen = new Set<number>();
    while (added < perUser) {
      const index = Math.floor(random() * groupIds.length);
      if (chosen.has(index)) continue;
      chosen.add(index);
      tenant.members.get(groupIds[index] as string)?.add(userId);
      added += 1;
    }
  }

  for (let index = 0; index < sizes.directRoutingNumbers; index += 1) {
    const telephoneNumber = `+4420${String(7_000_000 + index).padStart(8, '0')}`;
    tenant.numberAssignments.set(telephoneNumber, {
      // Graph's ids are opaque (not the number): clients key numbers by telephoneNumber.
      id: opaqueId(`${tenant.id}|${telephoneNumber}`),
      telephoneNumber,
      numberType: 'directRouting',
      assignmentTargetId: null,
      assignmentCategory: null,
      assignmentStatus: 'unassigned',
      activationState: 'activated',
      capabilities: ['userAssignment'],
      city: 'London',
      isoCountryCode: 'GB',
      locationId: null,
      networkSiteId: null,
      portInStatus: 'completed',
      reverseNumberLookupOptions: [],
      supportedCustomerActions: ['locationUpdate'],
      civicAddressId: null,
      numberSource: 'onPremises',
      operatorId: '',
    });
  }

  const numbers = [...tenant.numberAssignments.values()];
  const sku = tenant.subscribedSkus[0];
  for (let index = 0; index < Math.min(sizes.voiceUsers, userIds.length); index += 1) {
    const user =
      tenant.users.get(userIds[(spec.admins?.length ?? 0) + index] ?? '') ??
      tenant.users.get(userIds[index] as string);
    if (!user || !sku) continue;
    user.assignedLicenses.push({ skuId: sku.skuId, disabledPlans: [] });
    sku.consumedUnits += 1;
    const number = numbers[index];
    const configuration: SimTeamsUserConfiguration = {
      id: user.id,
      userPrincipalName: user.userPrincipalName,
      isEnterpriseVoiceEnabled: true,
      accountType: 'user',
      featureTypes: ['Teams', 'PhoneSystem'],
      telephoneNumbers: number
        ? [{ telephoneNumber: number.telephoneNumber, assignmentCategory: 'primary' }]
        : [],
      effectivePolicyAssignments: [
        {
          policyType: 'OnlineVoiceRoutingPolicy',
          policyAssignment: {
            displayName: 'DR-UK-National',
            policyId: findPolicies(tenant, 'OnlineVoiceRoutingPolicy', 'DR-UK-National')[0]?.policyId ?? '',
            assignmentType: 'direct',
          },
        },
        {
          policyType: 'TeamsCallingPolicy',
          policyAssignment: { displayName: 'Global', policyId: 'Global', assignmentType: 'direct' },
        },
      ],
    };
    tenant.teamsConfigurations.set(user.id, configuration);
    if (number) {
      number.assignmentTargetId = user.id;
      number.assignmentCategory = 'primary';
      number.assignmentStatus = 'userAssigned';
    }
  }
  return tenant;
}
