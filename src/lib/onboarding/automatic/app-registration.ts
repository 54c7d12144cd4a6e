import { addServiceCredential, CredentialRefusedByPolicy } from '../../credentials/service-credential.js';
import { removePassword } from '../../graph/app-passwords.js';
import { isDirectoryReplicationLag } from '../../graph/directory-replication.js';
import { type GraphClient, GraphError } from '../../graph/graph-client.js';
import type { AppCredential } from '../../identity/app-credential.js';
import type { AppTokenProvider } from '../../identity/app-token-provider.js';
import { CredentialProblem, mayBePropagating } from '../../identity/credential-problem.js';
import type { KeyVaultAssertions } from '../../identity/key-vault-assertions.js';
import type { TenantCertificates } from '../../secrets/tenant-certificates.js';
import type { TenantCredential, TenantSecretStore } from '../../secrets/tenant-secret-store.js';
import type { Stored } from '../../storage/entity-table.js';
import { type TenantTable, tenantRows } from '../../tenants/tenant-partition.js';
import { directoryRoles } from '../../validation/directory-roles.js';
import { permissionsNeeded } from '../../validation/required-permissions.js';
import type { SigningAdminCheck } from '../../validation/signing-admin.js';
import type { OpenInvitation } from '../invitation-access.js';
import { OnboardingRefused } from '../onboarding-errors.js';
import { adminConsentRedirectUri } from '../onboarding-urls.js';
import { probeRegistration, type RegistrationFacts } from '../probe-registration.js';
import { appUniqueName, registrationName, secretName } from '../registration-names.js';
import type { SignedInAdmin } from './provisioning-sign-in.js';

const graphAppId = '00000003-0000-0000-c000-000000000000';

/** What automatic registration has done so far for one invitation, so a retry resumes instead of repeating. */
export interface ProvisioningProgress {
  invitationId: string;
  appObjectId: string;
  appId: string;
  servicePrincipalId?: string;
  /** Service ids whose secret is safely in Key Vault. */
  servicesDone: string;
  /** The app was there before this onboarding (a reconnect's, or one an offboarding kept): never deleted here. */
  kept?: boolean;
}

export interface RegistrationOutcome {
  clientId: string;
  facts: RegistrationFacts;
}

export interface AppRegistrationDeps {
  graph: GraphClient;
  tokens: AppTokenProvider;
  secrets: TenantSecretStore;
  certificates: TenantCertificates;
  assertions: KeyVaultAssertions;
  /** The `Tenants` table: progress is kept in the tenant's partition. */
  progress: TenantTable;
  publicBaseUrl: string;
  /** The cloud's Graph has the Teams telephony endpoints (their permissions exist only there). */
  teamsApis: boolean;
  sleep?: (ms: number) => Promise<void>;
}

/** How long to wait for a new secret to start working (AADSTS7000215 meanwhile), in all. */
const propagationWaitsMs = [1000, 2000, 4000, 8000, 15000, 30000];
/** How long to retry a write that refers to the new service principal while Entra's replicas learn of it. */
const replicationWaitsMs = [1000, 2000, 4000, 8000, 15000, 30000];

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type GraphPrincipal = { id: string; appRoles: { id: string; value: string }[] };

type Progress = Stored<ProvisioningProgress>;

interface KeptApp {
  id: string;
  appId: string;
  web?: { redirectUris?: string[] };
  requiredResourceAccess?: { resourceAppId: string; resourceAccess: { id: string; type: string }[] }[];
}

/** What a kept app lacks of the consent redirect URI and the Graph permissions, as a PATCH body; none when nothing. */
function keptAppChanges(
  app: KeptApp,
  consentUri: string,
  permissionIds: string[],
): Record<string, unknown> | undefined {
  const changes: Record<string, unknown> = {};
  const redirectUris = app.web?.redirectUris ?? [];
  if (!redirectUris.includes(consentUri)) changes.web = { redirectUris: [...redirectUris, consentUri] };
  const resources = app.requiredResourceAccess ?? [];
  const graphAccess =
    resources.find((resource) => resource.resourceAppId === graphAppId)?.resourceAccess ?? [];
  const lacking = permissionIds.filter(
    (id) => !graphAccess.some((access) => access.id === id && access.type === 'Role'),
  );
  if (lacking.length)
    changes.requiredResourceAccess = [
      ...resources.filter((resource) => resource.resourceAppId !== graphAppId),
      {
        resourceAppId: graphAppId,
        resourceAccess: [...graphAccess, ...lacking.map((id) => ({ id, type: 'Role' }))],
      },
    ];
  return Object.keys(changes).length ? changes : undefined;
}

/**
 * The app registration in the signed-in admin's tenant, made with the admin's delegated token: the app
 * (single-tenant, with the Graph application permissions the options need), a secret per service (to Key Vault
 * at once), its service principal, itself as owner (for self-rotation), and, only when the admin may, its
 * permissions and roles. Resumes from its progress record, so a retried flow never makes a second app.
 */
export class AppRegistration {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: AppRegistrationDeps) {
    this.sleep = deps.sleep ?? defaultSleep;
  }

  async register(
    invitation: OpenInvitation,
    admin: SignedInAdmin,
    abilities: SigningAdminCheck,
    now = new Date(),
  ): Promise<RegistrationOutcome> {
    const graphPrincipal = await this.graphPrincipal(admin.accessToken);
    const permissionIds = this.permissionIds(invitation, graphPrincipal);
    const { progress: made, resumed } = await this.ensureApp(invitation, admin, permissionIds);
    const progress = await this.ensureServicePrincipal(admin, made);
    const credential = await this.addCredentials(invitation, admin, progress, resumed, now);
    if (abilities.canGrantAndAssign)
      await this.grantAndAssign(invitation, admin, progress, graphPrincipal, permissionIds);
    const facts = await this.waitUntilWorking(credential);
    if (invitation.reconnect || progress.entity.kept)
      await this.removeReplacedPasswords(invitation, admin, progress);
    return { clientId: progress.entity.appId, facts };
  }

  private async graphPrincipal(token: string): Promise<GraphPrincipal> {
    const principal = (
      await this.deps.graph.get<{ value: GraphPrincipal[] }>(
        token,
        `/servicePrincipals?$filter=appId eq '${graphAppId}'`,
      )
    ).value[0];
    if (!principal)
      throw new OnboardingRefused('graph_missing', 'Microsoft Graph is not available in this tenant.');
    return principal;
  }

  /** The app role ids of the Graph permissions the options need, as this tenant's Graph publishes them. */
  private permissionIds(invitation: OpenInvitation, graphPrincipal: GraphPrincipal): string[] {
    const permissions = permissionsNeeded({
      automaticDns: invitation.record.automaticDns,
      dnsNeededNow: true,
      teamsApis: this.deps.teamsApis,
      nearRealTime: invitation.record.nearRealTime ?? false,
      writeBack: invitation.record.writeBack ?? false,
    });
    return permissions.map((value) => {
      const role = graphPrincipal.appRoles.find((candidate) => candidate.value === value);
      if (!role)
        throw new OnboardingRefused(
          'permission_unknown',
          `Microsoft Graph in this tenant has no permission ${value}.`,
        );
      return role.id;
    });
  }

  /**
   * The app, made once whatever fails when: an upsert on a unique name of the invitation's
   * (`PATCH /applications(uniqueName='…')` with `Prefer: create-if-missing`), so sending it again after a lost
   * answer, or after a crash before the progress record was written, finds the same app. `resumed` when an
   * earlier attempt had made it.
   */
  private async ensureApp(
    invitation: OpenInvitation,
    admin: SignedInAdmin,
    permissionIds: string[],
  ): Promise<{ progress: Progress; resumed: boolean }> {
    const key = tenantRows.provisioning(invitation.id);
    const existing = await this.deps.progress.get(admin.tenantId, key);
    if (existing) return { progress: existing, resumed: true };
    const kept = await this.registrationToKeep(invitation, admin, permissionIds);
    if (kept) return { progress: await this.recordApp(invitation, admin, kept, true), resumed: false };
    const { graph } = this.deps;
    const path = `/applications(uniqueName='${appUniqueName(invitation.id)}')`;
    const upserted = await graph.request<{ id: string; appId: string }>(
      admin.accessToken,
      'PATCH',
      path,
      {
        displayName: registrationName,
        signInAudience: 'AzureADMyOrg',
        requiredResourceAccess: [
          { resourceAppId: graphAppId, resourceAccess: permissionIds.map((id) => ({ id, type: 'Role' })) },
        ],
        web: { redirectUris: [adminConsentRedirectUri(this.deps.publicBaseUrl)] },
      },
      { headers: { prefer: 'create-if-missing' } },
    );
    // 201 with the new app; 204 when it existed (an earlier attempt made it), so read it.
    const app =
      upserted.status === 201
        ? upserted.body
        : await graph.get<{ id: string; appId: string }>(admin.accessToken, `${path}?$select=id,appId`);
    return { progress: await this.recordApp(invitation, admin, app), resumed: upserted.status !== 201 };
  }

  /**
   * The tenant's app registration, kept while it still exists (new secrets are added to it): a reconnect's, or
   * the one an offboarding left in place when the tenant comes back. The connector's consent redirect URI and the
   * Graph permissions the invitation needs are added when the app lacks them (admin consent asks for what the app
   * declares, and refuses any other redirect URI).
   */
  private async registrationToKeep(
    invitation: OpenInvitation,
    admin: SignedInAdmin,
    permissionIds: string[],
  ): Promise<{ id: string; appId: string } | undefined> {
    const clientId = invitation.reconnect?.clientId ?? (await this.keptByOffboarding(admin.tenantId));
    if (!clientId) return undefined;
    const found = await this.deps.graph.get<{ value: KeptApp[] }>(
      admin.accessToken,
      `/applications?$filter=appId eq '${clientId}'&$select=id,appId,web,requiredResourceAccess`,
    );
    const app = found.value[0];
    if (!app) return undefined;
    const changes = keptAppChanges(app, adminConsentRedirectUri(this.deps.publicBaseUrl), permissionIds);
    if (changes)
      await this.deps.graph.request(admin.accessToken, 'PATCH', `/applications/${app.id}`, changes);
    return { id: app.id, appId: app.appId };
  }

  /** The app registration of a tenant offboarded before (its tombstone keeps the client id). */
  private async keptByOffboarding(tenantId: string): Promise<string | undefined> {
    const tombstone = await this.deps.progress.get(tenantId, tenantRows.tenant);
    return tombstone?.entity.status === 'offboarded' ? tombstone.entity.clientId : undefined;
  }

  private async recordApp(
    invitation: OpenInvitation,
    admin: SignedInAdmin,
    app: { id: string; appId: string },
    kept = false,
  ): Promise<Progress> {
    const key = tenantRows.provisioning(invitation.id);
    await this.deps.progress.insert({
      partitionKey: admin.tenantId,
      rowKey: key,
      invitationId: invitation.id,
      appObjectId: app.id,
      appId: app.appId,
      servicesDone: '[]',
      ...(kept ? { kept } : {}),
    });
    const stored = await this.deps.progress.get(admin.tenantId, key);
    if (!stored) throw new Error('provisioning progress vanished');
    return stored;
  }

  /**
   * After a reconnect's new secrets work: the passwords they replace (named for the same services, not the ones
   * now in Key Vault) are removed, so the app keeps one per service.
   */
  private async removeReplacedPasswords(
    invitation: OpenInvitation,
    admin: SignedInAdmin,
    progress: Progress,
  ): Promise<void> {
    const current = new Set<string>();
    for (const service of invitation.services) {
      const keyId = (await this.deps.secrets.get(admin.tenantId, service.id))?.keyId;
      if (keyId) current.add(keyId);
    }
    const names = new Set(invitation.services.map((service) => secretName(service.id)));
    const { graph } = this.deps;
    const app = await graph.get<{ passwordCredentials?: { keyId: string; displayName?: string }[] }>(
      admin.accessToken,
      `/applications/${progress.entity.appObjectId}?$select=passwordCredentials`,
    );
    for (const password of app.passwordCredentials ?? [])
      if (names.has(password.displayName ?? '') && !current.has(password.keyId))
        await removePassword(graph, admin.accessToken, progress.entity.appObjectId, password.keyId);
  }

  /** The app's service principal, and the app owned by it (so it can rotate its own secrets later). */
  private async ensureServicePrincipal(admin: SignedInAdmin, progress: Progress): Promise<Progress> {
    if (progress.entity.servicePrincipalId) return progress;
    const { graph } = this.deps;
    const token = admin.accessToken;
    let principalId = '';
    try {
      // Right after the app, Entra may not know it yet ("does not reference a valid application object"); sent
      // again after a lost answer, it is refused as a duplicate (409) and the principal looked up.
      await this.whenReplicated(async () => {
        principalId = (
          await graph.post<{ id: string }>(
            token,
            '/servicePrincipals',
            { appId: progress.entity.appId },
            { idempotent: true },
          )
        ).id;
      }, false);
    } catch (error) {
      if (!(error instanceof GraphError && error.status === 409)) throw error;
      principalId =
        (
          await graph.get<{ value: { id: string }[] }>(
            token,
            `/servicePrincipals?$filter=appId eq '${progress.entity.appId}'`,
          )
        ).value[0]?.id ?? '';
    }
    await this.whenReplicated(() =>
      graph.post(
        token,
        `/applications/${progress.entity.appObjectId}/owners/$ref`,
        { '@odata.id': `${graph.url(`/directoryObjects/${principalId}`)}` },
        { idempotent: true },
      ),
    );
    return this.save(progress, { servicePrincipalId: principalId });
  }

  /**
   * A credential per service, each to Key Vault at once: a secret, or a certificate when the invitation asks for
   * one or the tenant's policy refuses new secrets. Returns one that works now (to prove the registration).
   */
  private async addCredentials(
    invitation: OpenInvitation,
    admin: SignedInAdmin,
    initial: Progress,
    resumed: boolean,
    now: Date,
  ): Promise<AppCredential> {
    let progress = initial;
    let last: TenantCredential | undefined;
    let certificates = invitation.record.credential === 'certificate';
    const done = new Set<string>(JSON.parse(progress.entity.servicesDone));
    if (resumed) await this.removeUnstoredSecrets(admin.accessToken, progress, invitation, done);
    for (const service of invitation.services) {
      if (done.has(service.id)) continue;
      let credential: TenantCredential;
      try {
        credential = await this.addCredential(admin, progress, service.id, certificates, now);
        certificates = Boolean(credential.certificate);
      } catch (error) {
        const ours = !progress.entity.kept && progress.entity.appId !== invitation.reconnect?.clientId;
        if (error instanceof OnboardingRefused && done.size === 0 && ours) {
          // Leave nothing half-made: an app no credential can be added to is removed again (one a reconnect keeps
          // stays); the certificate made for it went already.
          await this.deps.graph.request(
            admin.accessToken,
            'DELETE',
            `/applications/${progress.entity.appObjectId}`,
          );
          await this.deps.progress.delete(
            admin.tenantId,
            tenantRows.provisioning(invitation.id),
            progress.etag,
          );
        }
        throw error;
      }
      await this.deps.secrets.put(credential);
      done.add(service.id);
      progress = await this.save(progress, { servicesDone: JSON.stringify([...done]) });
      last = credential;
    }
    const proof = last ?? (await this.deps.secrets.get(admin.tenantId, invitation.services[0]?.id ?? ''));
    return proof ?? { tenantId: admin.tenantId, clientId: progress.entity.appId, secret: '' };
  }

  /** Grants the app its Graph permissions and assigns its directory roles (Privileged Role Administrator). */
  private async grantAndAssign(
    invitation: OpenInvitation,
    admin: SignedInAdmin,
    progress: Progress,
    graphPrincipal: GraphPrincipal,
    permissionIds: string[],
  ): Promise<void> {
    const { graph } = this.deps;
    const token = admin.accessToken;
    const principalId = progress.entity.servicePrincipalId;
    for (const appRoleId of permissionIds) {
      await this.whenReplicated(() =>
        graph.post(
          token,
          `/servicePrincipals/${graphPrincipal.id}/appRoleAssignedTo`,
          { principalId, resourceId: graphPrincipal.id, appRoleId },
          { idempotent: true },
        ),
      );
    }
    const roles = [
      directoryRoles.teamsAdministrator,
      ...(invitation.record.automaticDns
        ? [directoryRoles.domainNameAdministrator, directoryRoles.userAdministrator]
        : []),
    ];
    for (const role of roles) {
      await this.whenReplicated(() =>
        graph.post(
          token,
          '/roleManagement/directory/roleAssignments',
          { principalId, roleDefinitionId: role.id, directoryScopeId: '/' },
          { idempotent: true },
        ),
      );
    }
  }

  /**
   * A password added by an earlier attempt whose answer was lost never reached Key Vault: remove it before adding
   * the service's password again, so the app keeps one per service.
   */
  private async removeUnstoredSecrets(
    token: string,
    progress: Progress,
    invitation: OpenInvitation,
    done: Set<string>,
  ): Promise<void> {
    const { graph } = this.deps;
    const pending = new Set(
      invitation.services.filter((service) => !done.has(service.id)).map((service) => secretName(service.id)),
    );
    if (pending.size === 0) return;
    const app = await graph.get<{ passwordCredentials?: { keyId: string; displayName?: string }[] }>(
      token,
      `/applications/${progress.entity.appObjectId}?$select=passwordCredentials`,
    );
    for (const credential of app.passwordCredentials ?? [])
      if (pending.has(credential.displayName ?? ''))
        await removePassword(graph, token, progress.entity.appObjectId, credential.keyId);
  }

  private async save(progress: Progress, changes: Partial<ProvisioningProgress>): Promise<Progress> {
    const entity = { ...progress.entity, ...changes };
    return { entity, etag: await this.deps.progress.update(entity, progress.etag) };
  }

  /**
   * The service's credential: a password within the tenant's policy (unless the services before it had to use
   * certificates), else a certificate; OnboardingRefused when the policy refuses both.
   */
  private async addCredential(
    admin: SignedInAdmin,
    progress: Progress,
    serviceId: string,
    certificate: boolean,
    now: Date,
  ): Promise<TenantCredential> {
    try {
      return await addServiceCredential(
        this.deps,
        admin.accessToken,
        { id: progress.entity.appObjectId },
        { tenantId: admin.tenantId, serviceId, clientId: progress.entity.appId },
        { certificate, now },
      );
    } catch (error) {
      if (error instanceof CredentialRefusedByPolicy)
        throw new OnboardingRefused(
          'credential_refused',
          `Your tenant refuses both client secrets and the connector's certificate for the app (${error.graphCode}), so nothing was kept. Allow one of them for this app, then try again.`,
        );
      throw error;
    }
  }

  /** A new secret or certificate can take a while to work: retry with backoff before declaring success or failure. */
  private async waitUntilWorking(credential: AppCredential): Promise<RegistrationFacts> {
    for (const wait of [0, ...propagationWaitsMs]) {
      if (wait) await this.sleep(wait);
      try {
        return await probeRegistration(this.deps.tokens, this.deps.graph, credential, { fresh: true });
      } catch (error) {
        if (!mayBePropagating(error)) throw error;
      }
    }
    throw new CredentialProblem('invalid_secret');
  }

  /**
   * A write that names the new app or its service principal, retried while Entra's replicas catch up; after
   * about a minute the admin is told to finish later (the progress record makes that safe). A grant, role or
   * owner already there is fine, unless `existingIsFine` is false (the caller handles it).
   */
  private async whenReplicated(call: () => Promise<unknown>, existingIsFine = true): Promise<void> {
    for (const wait of [0, ...replicationWaitsMs]) {
      if (wait) await this.sleep(wait);
      try {
        await (existingIsFine ? this.ignoreExisting(call) : call());
        return;
      } catch (error) {
        if (!isDirectoryReplicationLag(error)) throw error;
      }
    }
    throw new OnboardingRefused(
      'directory_still_replicating',
      'Microsoft is still setting up the new app in your tenant. Open the invitation link and sign in again in a minute to finish: nothing is made twice.',
    );
  }

  /** Graph answers 400 (or 409) when a grant, role or owner is already there: that is fine on a retry. */
  private async ignoreExisting(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (
        error instanceof GraphError &&
        (error.status === 409 ||
          (error.status === 400 && /already exist|conflicting object/i.test(error.message)))
      )
        return;
      throw error;
    }
  }
}

/** This row kind in a tenant's partition (see tenants/tenant-partition.ts). */
declare module '../../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    provisioning: ProvisioningProgress;
  }
}
