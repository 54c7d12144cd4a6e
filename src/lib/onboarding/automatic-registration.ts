import { type GraphClient, GraphError } from '../graph/graph-client.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem } from '../identity/credential-problem.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import { type TenantTable, tenantRows } from '../tenants/tenant-partition.js';
import { directoryRoles } from '../validation/directory-roles.js';
import { permissionsNeeded } from '../validation/required-permissions.js';
import { checkSigningAdmin } from '../validation/signing-admin.js';
import { OnboardingRefused } from './onboarding-errors.js';
import type { OpenInvitation } from './onboarding-service.js';
import { probeRegistration, type RegistrationFacts } from './probe-registration.js';
import { consentCallbackPath, type SignedInAdmin } from './provisioning-sign-in.js';

const graphAppId = '00000003-0000-0000-c000-000000000000';
export const registrationName = 'Live Platform Connector';

/** What automatic registration has done so far for one invitation, so a retry resumes instead of repeating. */
export interface ProvisioningProgress {
  invitationId: string;
  appObjectId: string;
  appId: string;
  servicePrincipalId?: string;
  /** Service ids whose secret is safely in Key Vault. */
  servicesDone: string;
}

export interface AutomaticOutcome {
  clientId: string;
  facts: RegistrationFacts;
  /** The admin could also grant permissions and assign roles. */
  granted: boolean;
}

export interface AutomaticDeps {
  graph: GraphClient;
  tokens: AppTokenProvider;
  secrets: TenantSecretStore;
  /** The `Tenants` table: progress is kept in the tenant's partition. */
  progress: TenantTable;
  publicBaseUrl: string;
  sleep?: (ms: number) => Promise<void>;
}

/** Lifetimes to try for a new secret, longest first; a tenant's app-management policy may refuse the longer ones. */
export const secretLifetimesDays = [180, 90, 30, 7];
/** How long to wait for a new secret to start working (AADSTS7000215 meanwhile), in all. */
const propagationWaitsMs = [1000, 2000, 4000, 8000, 15000, 30000];

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Automatic registration in the signed-in admin's tenant: the app registration (single-tenant, with the Graph
 * application permissions the options need), a secret per service (to Key Vault at once), its service principal,
 * itself as owner (for self-rotation), and, only for a Privileged Role or Global Administrator, its permissions
 * and roles. Resumes from its progress record, so a retried flow never makes a second app.
 */
export class AutomaticRegistration {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: AutomaticDeps) {
    this.sleep = deps.sleep ?? defaultSleep;
  }

  async run(invitation: OpenInvitation, admin: SignedInAdmin, now = new Date()): Promise<AutomaticOutcome> {
    const abilities = checkSigningAdmin(admin.wids);
    if (!abilities.canCreateRegistration) {
      throw new OnboardingRefused(
        'admin_lacks_application_administrator',
        `Automatic registration needs ${directoryRoles.applicationAdministrator.name} (or Cloud Application Administrator, or Global Administrator). Nothing was created. Ask an admin who holds it to sign in, or register the app yourself.`,
      );
    }
    const { graph } = this.deps;
    const token = admin.accessToken;
    const tenantId = admin.tenantId;
    const graphPrincipal = (
      await graph.get<{ value: { id: string; appRoles: { id: string; value: string }[] }[] }>(
        token,
        `/servicePrincipals?$filter=appId eq '${graphAppId}'`,
      )
    ).value[0];
    if (!graphPrincipal)
      throw new OnboardingRefused('graph_missing', 'Microsoft Graph is not available in this tenant.');
    const permissions = permissionsNeeded({
      automaticDns: invitation.record.automaticDns,
      dnsNeededNow: true,
    });
    const permissionIds = permissions.map((value) => {
      const role = graphPrincipal.appRoles.find((candidate) => candidate.value === value);
      if (!role)
        throw new OnboardingRefused(
          'permission_unknown',
          `Microsoft Graph in this tenant has no permission ${value}.`,
        );
      return role.id;
    });

    let progress = await this.deps.progress.get(tenantId, tenantRows.provisioning(invitation.id));
    if (!progress) {
      const app = await graph.post<{ id: string; appId: string }>(token, '/applications', {
        displayName: registrationName,
        signInAudience: 'AzureADMyOrg',
        requiredResourceAccess: [
          { resourceAppId: graphAppId, resourceAccess: permissionIds.map((id) => ({ id, type: 'Role' })) },
        ],
        web: { redirectUris: [`${this.deps.publicBaseUrl}${consentCallbackPath}`] },
      });
      const record = {
        partitionKey: tenantId,
        rowKey: tenantRows.provisioning(invitation.id),
        invitationId: invitation.id,
        appObjectId: app.id,
        appId: app.appId,
        servicesDone: '[]',
      };
      await this.deps.progress.insert(record);
      progress = await this.deps.progress.get(tenantId, record.rowKey);
    }
    if (!progress) throw new Error('provisioning progress vanished');
    let { entity, etag } = progress;
    const save = async (changes: Partial<ProvisioningProgress>) => {
      entity = { ...entity, ...changes };
      etag = await this.deps.progress.update(entity, etag);
    };

    if (!entity.servicePrincipalId) {
      let principalId: string;
      try {
        principalId = (await graph.post<{ id: string }>(token, '/servicePrincipals', { appId: entity.appId }))
          .id;
      } catch (error) {
        if (!(error instanceof GraphError && error.status === 409)) throw error;
        principalId =
          (
            await graph.get<{ value: { id: string }[] }>(
              token,
              `/servicePrincipals?$filter=appId eq '${entity.appId}'`,
            )
          ).value[0]?.id ?? '';
      }
      await this.ignoreExisting(() =>
        graph.post(token, `/applications/${entity.appObjectId}/owners/$ref`, {
          '@odata.id': `${graph.url(`/directoryObjects/${principalId}`)}`,
        }),
      );
      await save({ servicePrincipalId: principalId });
    }

    let lastSecret: { secret: string } | undefined;
    const done = new Set<string>(JSON.parse(entity.servicesDone));
    for (const service of invitation.services) {
      if (done.has(service.id)) continue;
      let added: { secretText: string; endDateTime: string };
      try {
        added = await this.addSecret(token, entity.appObjectId, service.id, now);
      } catch (error) {
        if (error instanceof OnboardingRefused && done.size === 0) {
          // Leave nothing half-made: an app no secret can be added to is removed again.
          await graph.request(token, 'DELETE', `/applications/${entity.appObjectId}`);
          await this.deps.progress.delete(tenantId, tenantRows.provisioning(invitation.id), etag);
        }
        throw error;
      }
      const { secretText, endDateTime } = added;
      await this.deps.secrets.put({
        tenantId,
        serviceId: service.id,
        clientId: entity.appId,
        secret: secretText,
        expiresOn: new Date(endDateTime),
      });
      done.add(service.id);
      await save({ servicesDone: JSON.stringify([...done]) });
      lastSecret = { secret: secretText };
    }
    lastSecret ??= {
      secret: (await this.deps.secrets.get(tenantId, invitation.services[0]?.id ?? ''))?.secret ?? '',
    };

    if (abilities.canGrantAndAssign) {
      for (const appRoleId of permissionIds) {
        await this.ignoreExisting(() =>
          graph.post(token, `/servicePrincipals/${graphPrincipal.id}/appRoleAssignedTo`, {
            principalId: entity.servicePrincipalId,
            resourceId: graphPrincipal.id,
            appRoleId,
          }),
        );
      }
      const roles = [
        directoryRoles.teamsAdministrator,
        ...(invitation.record.automaticDns
          ? [directoryRoles.domainNameAdministrator, directoryRoles.userAdministrator]
          : []),
      ];
      for (const role of roles) {
        await this.ignoreExisting(() =>
          graph.post(token, '/roleManagement/directory/roleAssignments', {
            principalId: entity.servicePrincipalId,
            roleDefinitionId: role.id,
            directoryScopeId: '/',
          }),
        );
      }
    }

    const facts = await this.waitUntilWorking(tenantId, entity.appId, lastSecret.secret);
    return { clientId: entity.appId, facts, granted: abilities.canGrantAndAssign };
  }

  /** addPassword, shortening the lifetime while the tenant's app-management policy refuses it. */
  private async addSecret(token: string, appObjectId: string, serviceId: string, now: Date) {
    for (const days of secretLifetimesDays) {
      try {
        return await this.deps.graph.post<{ secretText: string; endDateTime: string }>(
          token,
          `/applications/${appObjectId}/addPassword`,
          {
            passwordCredential: {
              displayName: `Live Platform service ${serviceId}`,
              endDateTime: new Date(now.getTime() + days * 86_400_000).toISOString(),
            },
          },
        );
      } catch (error) {
        if (!(error instanceof GraphError && error.graphCode === 'CredentialInvalidLifetimeAsPerAppPolicy'))
          throw error;
      }
    }
    throw new OnboardingRefused(
      'secret_lifetime_refused',
      `Your tenant's app management policy refuses client secrets even for ${secretLifetimesDays.at(-1)} days, so nothing was kept. Allow client secrets of at least that long for this app (or register the app yourself with another credential policy), then try again.`,
    );
  }

  /** A new secret can take a while to work: retry with backoff before declaring success or failure. */
  private async waitUntilWorking(
    tenantId: string,
    clientId: string,
    secret: string,
  ): Promise<RegistrationFacts> {
    for (const wait of [0, ...propagationWaitsMs]) {
      if (wait) await this.sleep(wait);
      try {
        return await probeRegistration(
          this.deps.tokens,
          this.deps.graph,
          { tenantId, clientId, secret },
          { fresh: true },
        );
      } catch (error) {
        if (!(error instanceof CredentialProblem && error.code === 'invalid_secret')) throw error;
      }
    }
    throw new CredentialProblem('invalid_secret');
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
