import { AccessTokenBudget } from './lib/access-tokens/access-token-budget.js';
import { AccessTokenIssuer } from './lib/access-tokens/access-token-issuer.js';
import { type AuditEntry, AuditLog } from './lib/audit/audit-log.js';
import { coreEndpoints } from './lib/core-api/core-endpoint.js';
import { ReplayGuard, type SeenRequest } from './lib/core-api/replay-guard.js';
import { eventSigningSecret } from './lib/core-api/signing-secrets.js';
import { CredentialCheck } from './lib/credentials/credential-check.js';
import { CredentialRotation } from './lib/credentials/credential-rotation.js';
import { type ServiceCredentialView, serviceCredentials } from './lib/credentials/credential-view.js';
import { ExpiryWarnings } from './lib/credentials/expiry-warnings.js';
import type { RotationJob } from './lib/credentials/rotation-progress.js';
import { type Dependencies, dependencies } from './lib/dependencies.js';
import { deliverEvent } from './lib/events/core-delivery.js';
import { DeliverySwitch } from './lib/events/delivery-state.js';
import { type DeliveryState, EventDispatcher } from './lib/events/event-dispatcher.js';
import { type DispatchMessage, Outbox } from './lib/events/outbox.js';
import { GraphClient } from './lib/graph/graph-client.js';
import { Housekeeping } from './lib/housekeeping/housekeeping.js';
import { AppTokenProvider } from './lib/identity/app-token-provider.js';
import { KeyVaultAssertions } from './lib/identity/key-vault-assertions.js';
import {
  type InvitationRecord,
  InvitationService,
  type InvitationTokenIndex,
} from './lib/invitations/invitation-service.js';
import type { GraphSubscriptionRecord } from './lib/near-real-time/near-real-time-row.js';
import { NotifiedChanges, type NotifiedChangesJob } from './lib/near-real-time/notified-changes.js';
import { type NearRealTimeJob, TenantSubscriptions } from './lib/near-real-time/tenant-subscriptions.js';
import { type OffboardingJob, TenantOffboarding } from './lib/offboarding/tenant-offboarding.js';
import { AppRegistration } from './lib/onboarding/automatic/app-registration.js';
import { AutomaticOnboarding } from './lib/onboarding/automatic/automatic-onboarding.js';
import { ProvisioningSignIn } from './lib/onboarding/automatic/provisioning-sign-in.js';
import { InvitationAccess } from './lib/onboarding/invitation-access.js';
import { ManualOnboarding } from './lib/onboarding/manual/manual-onboarding.js';
import { OnboardingRecord } from './lib/onboarding/onboarding-record.js';
import { type SignInStateRecord, SignInStates } from './lib/onboarding/sign-in-state.js';
import { TenantAdmission } from './lib/onboarding/tenant-admission.js';
import { ChangeFeed } from './lib/replication/change-feed.js';
import { ReplicaSnapshot } from './lib/replication/replica-snapshot.js';
import { ReplicaStore } from './lib/replication/replica-store.js';
import { ReplicationScheduler } from './lib/replication/replication-scheduler.js';
import { type ReplicationJob, ReplicationWorker } from './lib/replication/replication-worker.js';
import { CachedSecrets } from './lib/secrets/cached-secrets.js';
import { TenantCertificates } from './lib/secrets/tenant-certificates.js';
import { TenantSecretStore } from './lib/secrets/tenant-secret-store.js';
import type { ServiceJob } from './lib/services/service-progress.js';
import { TenantServices } from './lib/services/tenant-services.js';
import { SiteRoleCheck } from './lib/sites/site-roles.js';
import { type SiteDomainClaim, type SiteJob, TenantSites } from './lib/sites/tenant-sites.js';
import {
  CustomerLinks,
  type OffboardingLink,
  type RoleGuidanceLink,
  type ServiceSecretLink,
} from './lib/storage/customer-links.js';
import { queueNames, tableNames } from './lib/storage/storage-names.js';
import { type TelephonyJob, TelephonyRequests } from './lib/telephony/telephony-requests.js';
import type { TenantPartitionRow } from './lib/tenants/tenant-partition.js';
import type { TenantService } from './lib/tenants/tenant-record.js';
import { TenantRegistry } from './lib/tenants/tenant-registry.js';
import { TenantValidation } from './lib/tenants/tenant-validation.js';

/** The domain services, built once from the dependencies and handed to the functions. */
export interface AppServices {
  secrets: CachedSecrets;
  replayGuard: ReplayGuard;
  invitations: InvitationService;
  outbox: Outbox;
  dispatcher: EventDispatcher;
  tokens: AppTokenProvider;
  graph: GraphClient;
  tenantSecrets: TenantSecretStore;
  registry: TenantRegistry;
  signInStates: SignInStates;
  invitationAccess: InvitationAccess;
  automaticOnboarding: AutomaticOnboarding;
  manualOnboarding: ManualOnboarding;
  replica: ReplicaStore;
  snapshots: ReplicaSnapshot;
  housekeeping: Housekeeping;
  replicationWorker: ReplicationWorker;
  replicationScheduler: ReplicationScheduler;
  deliverySwitch: DeliverySwitch;
  tenantValidation: TenantValidation;
  tenantServices: TenantServices;
  credentialRotation: CredentialRotation;
  credentialCheck: CredentialCheck;
  tenantOffboarding: TenantOffboarding;
  tenantSites: TenantSites;
  siteRoles: SiteRoleCheck;
  accessTokens: AccessTokenIssuer;
  tenantSubscriptions: TenantSubscriptions;
  notifiedChanges: NotifiedChanges;
  accessTokenBudget: AccessTokenBudget;
  telephonyRequests: TelephonyRequests;
  /** Each service's secret of a tenant: expiry, who renews it, its rotation. */
  serviceCredentials: (
    tenantId: string,
    services: readonly TenantService[],
  ) => Promise<ServiceCredentialView[]>;
  /** What the cloud's Graph offers (its Teams telephony endpoints exist in the global service only). */
  cloud: { teamsApis: boolean };
}

export function buildServices(deps: Dependencies): AppServices {
  const { settings, storage } = deps;
  const secrets = new CachedSecrets(deps.secrets, settings.secretCacheSeconds * 1000);
  const tenants = storage.table<TenantPartitionRow>(tableNames.tenants);
  const outbox = new Outbox(tenants, storage.queue<DispatchMessage>(queueNames.coreEvents));
  const invitations = new InvitationService(
    storage.table<InvitationRecord>(tableNames.invitations),
    storage.table<InvitationTokenIndex>(tableNames.invitationTokens),
    settings.publicBaseUrl,
    settings.invitationLifetimeDays,
  );
  const assertions = new KeyVaultAssertions(deps.credential, {
    disableChallengeResourceVerification: settings.customAuthority,
  });
  const tokens = new AppTokenProvider(settings, assertions);
  const graph = new GraphClient({ endpoint: settings.graphEndpoint });
  const certificates = new TenantCertificates(deps.certificates);
  const tenantSecrets = new TenantSecretStore(deps.secrets, settings.secretCacheSeconds * 1000, certificates);
  const registry = new TenantRegistry(tenants, outbox);
  const audit = new AuditLog(storage.table<AuditEntry>(tableNames.audit));
  const feed = new ChangeFeed(storage.table(tableNames.replicaChanges));
  const replica = new ReplicaStore(storage.table(tableNames.replica), feed);
  const replicationQueue = storage.queue<ReplicationJob>(queueNames.replicationJobs);
  const dispatcherState = storage.table<DeliveryState>(tableNames.coreDelivery);
  const signInStates = new SignInStates(storage.table<SignInStateRecord>(tableNames.signInStates));
  const invitationAccess = new InvitationAccess(invitations, registry);
  const admission = new TenantAdmission({ authorityHost: settings.authorityHost, registry });
  const { teamsApis } = settings;
  const workflowLeaseMs =
    settings.workflowLeaseSeconds === undefined ? undefined : settings.workflowLeaseSeconds * 1000;
  const tenantValidation = new TenantValidation({
    registry,
    secrets: tenantSecrets,
    tokens,
    graph,
    teamsApis,
    nearRealTimeOn: (tenantId) => tenantSubscriptions.isOn(tenantId),
  });
  const siteRoles = new SiteRoleCheck({
    registry,
    secrets: tenantSecrets,
    tokens,
    graph,
    links: new CustomerLinks(storage.table<RoleGuidanceLink>(tableNames.roleGuidanceLinks), [
      'tenantId',
      'expiresAt',
      'purpose',
    ]),
    publicBaseUrl: settings.publicBaseUrl,
    linkLifetimeDays: settings.invitationLifetimeDays,
    teamsApis,
  });
  const tenantSites = new TenantSites({
    leaseTtlMs: workflowLeaseMs,
    registry,
    domainClaims: storage.table<SiteDomainClaim>(tableNames.siteDomains),
    tenants,
    outbox,
    secrets: tenantSecrets,
    tokens,
    graph,
    queue: storage.queue<SiteJob>(queueNames.siteWork),
    roles: siteRoles,
    revalidate: (tenantId) => tenantValidation.revalidate(tenantId),
    sbcBaseDomain: settings.sbcBaseDomain,
    sbcDnsTarget: settings.sbcDnsTarget,
    verifyHours: settings.siteDnsVerifyHours,
    activationHours: settings.siteActivationHours,
  });
  const subscriptionIndex = storage.table<GraphSubscriptionRecord>(tableNames.graphSubscriptions);
  const replicationScheduler = new ReplicationScheduler(
    tenants,
    registry,
    replicationQueue,
    outbox,
    settings.replicationWindowMinutes,
  );
  const notifiedChanges = new NotifiedChanges({
    tenants,
    index: subscriptionIndex,
    queue: storage.queue<NotifiedChangesJob>(queueNames.notifiedChanges),
    scheduler: replicationScheduler,
    quietSeconds: settings.nearRealTimeQuietSeconds,
  });
  const tenantSubscriptions = new TenantSubscriptions({
    leaseTtlMs: workflowLeaseMs,
    registry,
    tenants,
    index: subscriptionIndex,
    secrets: tenantSecrets,
    tokens,
    graph,
    queue: storage.queue<NearRealTimeJob>(queueNames.nearRealTime),
    outbox,
    notificationUrl: `${settings.publicBaseUrl}/api/graph-notifications`,
    catchUp: (tenantId) => notifiedChanges.nudge(tenantId),
  });
  const record = new OnboardingRecord({
    registry,
    invitations,
    audit,
    teamsApis,
    startSite: (tenantId, site) => tenantSites.add(tenantId, site, { checkRoles: false }),
    startNearRealTime: (tenantId) => tenantSubscriptions.enable(tenantId),
    resumeNearRealTime: (tenantId) => tenantSubscriptions.resumeAfterReconnect(tenantId),
  });
  const credentialRotation = new CredentialRotation({
    leaseTtlMs: workflowLeaseMs,
    queue: storage.queue<RotationJob>(queueNames.credentialRotations),
    registry,
    tenants,
    outbox,
    secrets: tenantSecrets,
    certificates,
    assertions,
    tokens,
    graph,
    secretCacheMs: settings.secretCacheSeconds * 1000,
  });
  const accessTokenBudget = new AccessTokenBudget(tenants, settings.accessTokenRequestsPerHour);
  const telephonyRequests = new TelephonyRequests({
    leaseTtlMs: workflowLeaseMs,
    registry,
    tenants,
    outbox,
    secrets: tenantSecrets,
    tokens,
    graphEndpoint: settings.graphEndpoint,
    queue: storage.queue<TelephonyJob>(queueNames.telephonyRequests),
    runAfterWriteBack: (tenantId) => replicationScheduler.runAfterWriteBack(tenantId),
    teamsApis,
    revalidate: (tenantId) => tenantValidation.revalidate(tenantId),
    guidance: siteRoles,
  });
  return {
    telephonyRequests,
    accessTokenBudget,
    tenantSubscriptions,
    notifiedChanges,
    accessTokens: new AccessTokenIssuer({
      registry,
      secrets: tenantSecrets,
      tokens,
      graph,
      budget: accessTokenBudget,
      audit,
      guidance: siteRoles,
      teamsPowerShellApps: settings.teamsPowerShellApps,
    }),
    credentialRotation,
    tenantOffboarding: new TenantOffboarding({
      leaseTtlMs: workflowLeaseMs,
      registry,
      tenants,
      outbox,
      secrets: tenantSecrets,
      tokens,
      graph,
      assertions,
      replica,
      queue: storage.queue<OffboardingJob>(queueNames.tenantOffboardings),
      links: new CustomerLinks(storage.table<OffboardingLink>(tableNames.offboardingLinks), [
        'tenantId',
        'expiresAt',
      ]),
      publicBaseUrl: settings.publicBaseUrl,
      linkLifetimeDays: settings.invitationLifetimeDays,
      revokeInvitations: (tenantId) => invitations.revokeOpenFor(tenantId),
      stopChangeNotifications: (tenantId) => tenantSubscriptions.stopForOffboarding(tenantId),
    }),
    siteRoles,
    tenantSites,
    credentialCheck: new CredentialCheck({
      tenants,
      secrets: tenantSecrets,
      tokens,
      graph,
      rotation: credentialRotation,
      warnings: new ExpiryWarnings({ tenants, outbox }),
      rotateBeforeDays: settings.rotateBeforeDays,
    }),
    serviceCredentials: (tenantId, tenantServices) =>
      serviceCredentials(
        { secrets: tenantSecrets, tokens, graph, rotation: credentialRotation },
        tenantId,
        tenantServices,
      ),
    secrets,
    replayGuard: new ReplayGuard(
      storage.table<SeenRequest>(tableNames.coreRequestIds),
      settings.coreReplayWindowHours,
    ),
    invitations,
    tokens,
    graph,
    tenantSecrets,
    registry,
    signInStates,
    invitationAccess,
    automaticOnboarding: new AutomaticOnboarding({
      access: invitationAccess,
      admission,
      record,
      provisioning: new ProvisioningSignIn(settings, secrets),
      signInStates,
      registration: new AppRegistration({
        graph,
        tokens,
        secrets: tenantSecrets,
        certificates,
        assertions,
        progress: tenants,
        publicBaseUrl: settings.publicBaseUrl,
        teamsApis,
      }),
      graph,
    }),
    manualOnboarding: new ManualOnboarding({
      access: invitationAccess,
      admission,
      record,
      tokens,
      graph,
      secrets: tenantSecrets,
    }),
    replica,
    snapshots: new ReplicaSnapshot(storage.table(tableNames.replica), feed, tenants),
    housekeeping: new Housekeeping({
      tenants,
      coreRequestIds: storage.table(tableNames.coreRequestIds),
      signInStates: storage.table(tableNames.signInStates),
      replayWindowHours: settings.coreReplayWindowHours,
      runHistoryDays: settings.runHistoryDays,
      feed,
      feedRetentionDays: settings.feedRetentionDays,
    }),
    replicationWorker: new ReplicationWorker({
      tenants,
      replica,
      registry,
      secrets: tenantSecrets,
      tokens,
      outbox,
      queue: replicationQueue,
      graphEndpoint: settings.graphEndpoint,
      sliceMs: settings.replicationSliceSeconds * 1000,
      deletionThreshold: settings.replicationDeleteThreshold,
      teamsApis,
      retryHorizonHours: settings.replicationRetryHorizonHours,
      leaseSeconds: settings.replicationLeaseSeconds,
    }),
    replicationScheduler,
    outbox,
    dispatcher: new EventDispatcher({
      tenants,
      state: dispatcherState,
      coreWebhookUrl: settings.coreWebhookUrl,
      signingSecret: () => eventSigningSecret(secrets),
      deliver: deliverEvent,
      retryHorizonHours: settings.eventRetryHorizonHours,
    }),
    deliverySwitch: new DeliverySwitch(dispatcherState, tenants, outbox, settings.coreWebhookUrl),
    tenantValidation,
    tenantServices: new TenantServices({
      leaseTtlMs: workflowLeaseMs,
      registry,
      progress: tenants,
      links: new CustomerLinks(storage.table<ServiceSecretLink>(tableNames.serviceSecretLinks), [
        'tenantId',
        'serviceId',
        'requestedAt',
      ]),
      publicBaseUrl: settings.publicBaseUrl,
      linkLifetimeDays: settings.invitationLifetimeDays,
      secrets: tenantSecrets,
      certificates,
      assertions,
      tokens,
      graph,
      outbox,
      queue: storage.queue<ServiceJob>(queueNames.serviceAdditions),
    }),
    cloud: { teamsApis },
  };
}

let current: AppServices | undefined;

/** The process-wide services, built on first use (the composition root: nothing in lib imports this module). */
export function services(): AppServices {
  current ??= buildServices(dependencies());
  return current;
}

/** Registers a core-facing endpoint whose handler gets the app's services. */
export const coreEndpoint = coreEndpoints(services);
