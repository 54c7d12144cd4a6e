import { type AuditEntry, AuditLog } from './audit/audit-log.js';
import { ReplayGuard, type SeenRequest } from './core-api/replay-guard.js';
import { eventSigningSecret } from './core-api/signing-secrets.js';
import { type Dependencies, dependencies } from './dependencies.js';
import { deliverEvent } from './events/core-delivery.js';
import { type DeliveryState, EventDispatcher } from './events/event-dispatcher.js';
import { type DispatchMessage, Outbox } from './events/outbox.js';
import { GraphClient } from './graph/graph-client.js';
import { Housekeeping } from './housekeeping/housekeeping.js';
import { AppTokenProvider } from './identity/app-token-provider.js';
import {
  type InvitationRecord,
  InvitationService,
  type InvitationTokenIndex,
} from './invitations/invitation-service.js';
import { AutomaticRegistration } from './onboarding/automatic-registration.js';
import { OnboardingService } from './onboarding/onboarding-service.js';
import { ProvisioningSignIn } from './onboarding/provisioning-sign-in.js';
import { type SignInStateRecord, SignInStates } from './onboarding/sign-in-state.js';
import { ChangeFeed } from './replication/change-feed.js';
import { ReplicaStore } from './replication/replica-store.js';
import { ReplicationScheduler } from './replication/replication-scheduler.js';
import { type ReplicationJob, ReplicationWorker } from './replication/replication-worker.js';
import { CachedSecrets } from './secrets/cached-secrets.js';
import { TenantSecretStore } from './secrets/tenant-secret-store.js';
import { queueNames, tableNames } from './storage/storage-names.js';
import type { TenantPartitionRow } from './tenants/tenant-partition.js';
import { TenantRegistry } from './tenants/tenant-registry.js';

export { queueNames, tableNames };

/** The domain services, built once from the dependencies and handed to the functions. */
export interface AppServices {
  deps: Dependencies;
  secrets: CachedSecrets;
  replayGuard: ReplayGuard;
  invitations: InvitationService;
  outbox: Outbox;
  dispatcher: EventDispatcher;
  tokens: AppTokenProvider;
  graph: GraphClient;
  tenantSecrets: TenantSecretStore;
  registry: TenantRegistry;
  audit: AuditLog;
  onboarding: OnboardingService;
  provisioning: ProvisioningSignIn;
  signInStates: SignInStates;
  automatic: AutomaticRegistration;
  replica: ReplicaStore;
  housekeeping: Housekeeping;
  replicationWorker: ReplicationWorker;
  replicationScheduler: ReplicationScheduler;
}

export function buildServices(
  deps: Dependencies,
  log: (message: string) => void = console.warn,
): AppServices {
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
  const tokens = new AppTokenProvider(settings);
  const graph = new GraphClient({ endpoint: settings.graphEndpoint });
  const tenantSecrets = new TenantSecretStore(deps.secrets, settings.secretCacheSeconds * 1000);
  const registry = new TenantRegistry(tenants, outbox);
  const audit = new AuditLog(storage.table<AuditEntry>(tableNames.audit));
  const replica = new ReplicaStore(
    storage.table(tableNames.replica),
    new ChangeFeed(storage.table(tableNames.replicaChanges)),
  );
  const replicationQueue = storage.queue<ReplicationJob>(queueNames.replicationJobs);
  return {
    deps,
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
    audit,
    onboarding: new OnboardingService({
      settings,
      invitations,
      tokens,
      graph,
      secrets: tenantSecrets,
      registry,
      audit,
    }),
    provisioning: new ProvisioningSignIn(settings, secrets),
    signInStates: new SignInStates(storage.table<SignInStateRecord>(tableNames.signInStates)),
    automatic: new AutomaticRegistration({
      graph,
      tokens,
      secrets: tenantSecrets,
      progress: tenants,
      publicBaseUrl: settings.publicBaseUrl,
    }),
    replica,
    housekeeping: new Housekeeping({
      tenants,
      coreRequestIds: storage.table(tableNames.coreRequestIds),
      signInStates: storage.table(tableNames.signInStates),
      replayWindowHours: settings.coreReplayWindowHours,
      runHistoryDays: settings.runHistoryDays,
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
      log,
    }),
    replicationScheduler: new ReplicationScheduler(
      tenants,
      registry,
      replicationQueue,
      outbox,
      settings.replicationWindowMinutes,
    ),
    outbox,
    dispatcher: new EventDispatcher({
      tenants,
      state: storage.table<DeliveryState>(tableNames.coreDelivery),
      coreWebhookUrl: settings.coreWebhookUrl,
      signingSecret: () => eventSigningSecret(secrets),
      deliver: deliverEvent,
      retryHorizonHours: settings.eventRetryHorizonHours,
      log,
    }),
  };
}

let current: AppServices | undefined;

export function services(): AppServices {
  current ??= buildServices(dependencies());
  return current;
}
