/** The connector's tables, in one place. */
export const tableNames = {
  invitations: 'Invitations',
  invitationTokens: 'InvitationTokens',
  /** One partition per tenant: every row kind in it is named in tenants/tenant-partition.ts. */
  tenants: 'Tenants',
  coreRequestIds: 'CoreRequestIds',
  coreDelivery: 'CoreDelivery',
  audit: 'Audit',
  signInStates: 'SignInStates',
  /** Links for a customer's admin to give a new service its secret (by the token's hash). */
  serviceSecretLinks: 'ServiceSecretLinks',
  /** Links for a customer's admin to the roles a site needs (by the token's hash). */
  roleGuidanceLinks: 'RoleGuidanceLinks',
  /** Links for a customer's admin to what an offboarding left to them (by the token's hash). */
  offboardingLinks: 'OffboardingLinks',
  /** Which tenant's site each SBC sub-domain is (by the domain): a sub-domain is one site's, across tenants. */
  siteDomains: 'SiteDomains',
  /** The replica (users, groups, members, voice, numbers), over a few hundred partitions per tenant. */
  replica: 'Replica',
  /** The replica's change feed, one partition per tenant. */
  replicaChanges: 'ReplicaChanges',
  /** Which tenant each Graph change-notification subscription is (by the subscription id). */
  graphSubscriptions: 'GraphSubscriptions',
} as const;

/** The connector's queues (a function's poison queue is `{name}-poison`). */
export const queueNames = {
  coreEvents: 'core-events',
  replicationJobs: 'replication-jobs',
  credentialRotations: 'credential-rotations',
  siteWork: 'site-work',
  serviceAdditions: 'service-additions',
  tenantOffboardings: 'tenant-offboardings',
  /** A tenant's quiet period after Graph notified changes: its end starts the run. */
  notifiedChanges: 'notified-changes',
  /** A tenant's Graph subscriptions made, renewed and deleted (its near-real-time workflow). */
  nearRealTime: 'near-real-time',
  /** The core's write-back requests (numbers, policies), one workflow each. */
  telephonyRequests: 'telephony-requests',
} as const;

export const poisonQueue = (name: string) => `${name}-poison`;
export const isPoisonQueue = (name: string) => name.endsWith(poisonQueue(''));
