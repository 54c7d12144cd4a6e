import { createHash, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { graphAppId, graphAppRoles } from './graph/graph-permissions.js';
import { TenantState } from './tenant/tenant-state.js';

export interface SimPasswordCredential {
  keyId: string;
  displayName: string;
  secretText: string;
  hint: string;
  startDateTime: Date;
  endDateTime: Date;
  /** A new secret works only after it has propagated (AADSTS7000215 before). */
  usableFrom: Date;
}

/** A certificate on an app (`keyCredentials`): Entra keeps the public certificate only. */
export interface SimKeyCredential {
  keyId: string;
  displayName: string;
  type: 'AsymmetricX509Cert';
  usage: 'Verify';
  /** The certificate, DER. */
  der: Buffer;
  /** SHA-1 thumbprint, upper-case hex, as Entra sets `customKeyIdentifier`. */
  customKeyIdentifier: string;
  /** SHA-256 thumbprint, base64url: what `x5t#S256` names. */
  thumbprintSha256: string;
  startDateTime: Date;
  endDateTime: Date;
  /** A new certificate works only after it has propagated (AADSTS700027 before). */
  usableFrom: Date;
}

export interface SimApplication {
  /** The application object's id in its home tenant. */
  id: string;
  appId: string;
  homeTenantId: string;
  displayName: string;
  signInAudience: 'AzureADMyOrg' | 'AzureADMultipleOrgs';
  passwordCredentials: SimPasswordCredential[];
  keyCredentials: SimKeyCredential[];
  redirectUris: string[];
  requiredResourceAccess: {
    resourceAppId: string;
    resourceAccess: { id: string; type: 'Role' | 'Scope' }[];
  }[];
  ownerIds: string[];
  createdDateTime: string;
  /**
   * The manifest's `groupMembershipClaims`: Entra puts `wids` (the user's active directory roles) in the app's
   * tokens only for `DirectoryRole` or `All`; without it (the default) the claim is absent.
   */
  groupMembershipClaims?: 'None' | 'SecurityGroup' | 'DirectoryRole' | 'ApplicationGroup' | 'All';
  /** An alternate key the creator chose, unique in the tenant, immutable (for upserts). */
  uniqueName?: string;
  /** A public client (`isFallbackPublicClient`): may use the device code flow without a secret. */
  publicClient?: boolean;
}

/**
 * Microsoft's own public client that command-line tools sign in with (Microsoft Graph PowerShell and CLI use it),
 * present in every tenant as Microsoft's first-party apps are; its home is Microsoft's services tenant.
 */
export const graphCommandLineTools = {
  appId: '14d82eec-204b-4c2f-b7e8-296a70dab67e',
  displayName: 'Microsoft Graph Command Line Tools',
  homeTenantId: 'f8cdef31-a31e-4b4a-93e4-5f571e91255a',
} as const;

/** Whether Entra puts `wids` in an app's tokens (https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference). */
export const emitsWids = (app: SimApplication) =>
  app.groupMembershipClaims === 'DirectoryRole' || app.groupMembershipClaims === 'All';

/** The simulator's Entra: tenants (each with its directory state) and app registrations, which span tenants. */
export class Directory {
  readonly tenants = new Map<string, TenantState>();
  readonly applications = new Map<string, SimApplication>();

  constructor() {
    this.applications.set(graphCommandLineTools.appId, {
      ...graphCommandLineTools,
      id: graphCommandLineTools.appId,
      signInAudience: 'AzureADMultipleOrgs',
      passwordCredentials: [],
      keyCredentials: [],
      redirectUris: [],
      requiredResourceAccess: [],
      ownerIds: [],
      createdDateTime: '2020-01-01T00:00:00Z',
      publicClient: true,
    });
  }

  addTenant(input: { displayName: string; domain: string; id?: string }): TenantState {
    if (input.id && this.tenants.has(input.id))
      throw new Error(`A tenant with id ${input.id} exists already.`);
    if (this.resolveTenant(input.domain)) throw new Error(`The domain ${input.domain} is taken.`);
    const tenant = new TenantState(input.id ?? randomUUID(), input.displayName, input.domain);
    tenant.addServicePrincipal(graphAppId, 'Microsoft Graph');
    this.tenants.set(tenant.id, tenant);
    return tenant;
  }

  /** A tenant by GUID or by one of its verified domains (case-insensitive). */
  resolveTenant(reference: string): TenantState | undefined {
    const wanted = reference.toLowerCase();
    const byId = this.tenants.get(wanted);
    if (byId) return byId;
    for (const tenant of this.tenants.values()) {
      if (tenant.verifiedDomains().some((domain) => domain.toLowerCase() === wanted)) return tenant;
    }
    return undefined;
  }

  tenant(id: string): TenantState {
    const tenant = this.tenants.get(id);
    if (!tenant) throw new Error(`No tenant ${id}.`);
    return tenant;
  }

  /** Registers an app in its home tenant, with its service principal there. */
  addApplication(input: {
    homeTenantId: string;
    displayName: string;
    signInAudience?: SimApplication['signInAudience'];
    redirectUris?: string[];
    requiredResourceAccess?: SimApplication['requiredResourceAccess'];
    appId?: string;
    withServicePrincipal?: boolean;
    groupMembershipClaims?: SimApplication['groupMembershipClaims'];
    uniqueName?: string;
  }): SimApplication {
    const app: SimApplication = {
      id: randomUUID(),
      appId: input.appId ?? randomUUID(),
      homeTenantId: input.homeTenantId,
      displayName: input.displayName,
      signInAudience: input.signInAudience ?? 'AzureADMyOrg',
      passwordCredentials: [],
      keyCredentials: [],
      redirectUris: input.redirectUris ?? [],
      requiredResourceAccess: input.requiredResourceAccess ?? [],
      ownerIds: [],
      createdDateTime: new Date().toISOString(),
      ...(input.groupMembershipClaims ? { groupMembershipClaims: input.groupMembershipClaims } : {}),
      ...(input.uniqueName ? { uniqueName: input.uniqueName } : {}),
    };
    this.applications.set(app.appId, app);
    if (input.withServicePrincipal !== false) {
      this.tenant(app.homeTenantId).addServicePrincipal(app.appId, app.displayName);
    }
    return app;
  }

  applicationByObjectId(tenantId: string, id: string): SimApplication | undefined {
    for (const app of this.applications.values())
      if (app.homeTenantId === tenantId && app.id === id) return app;
    return undefined;
  }

  /** Adds a client secret (like addPassword) and returns it; its text is shown only here. */
  addPassword(
    appId: string,
    options: { displayName?: string; lifetimeDays?: number; endDateTime?: Date } = {},
  ): SimPasswordCredential {
    const app = this.applications.get(appId);
    if (!app) throw new Error(`No application ${appId}.`);
    const propagation = this.tenants.get(app.homeTenantId)?.policies.secretPropagationMs ?? 0;
    const secretText = `${randomBytes(3).toString('base64url')}~${randomBytes(27).toString('base64url')}`;
    const credential = {
      keyId: randomUUID(),
      displayName: options.displayName ?? 'secret',
      secretText,
      hint: secretText.slice(0, 3),
      startDateTime: new Date(),
      endDateTime:
        options.endDateTime ?? new Date(Date.now() + (options.lifetimeDays ?? 180) * 24 * 3600 * 1000),
      usableFrom: new Date(Date.now() + propagation),
    };
    app.passwordCredentials.push(credential);
    return credential;
  }

  /**
   * A key credential from a certificate (DER), its dates and thumbprints taken from the certificate, as Entra does;
   * `keyId` kept when given (an existing entry sent back in a PATCH).
   */
  keyCredential(
    app: SimApplication,
    input: { der: Buffer; displayName?: string; keyId?: string },
  ): SimKeyCredential {
    const certificate = new X509Certificate(input.der);
    const existing = app.keyCredentials.find((credential) => credential.keyId === input.keyId);
    const propagation = this.tenants.get(app.homeTenantId)?.policies.secretPropagationMs ?? 0;
    return {
      keyId: input.keyId ?? randomUUID(),
      displayName: input.displayName ?? certificate.subject.replace(/^CN=/, ''),
      type: 'AsymmetricX509Cert',
      usage: 'Verify',
      der: input.der,
      customKeyIdentifier: createHash('sha1').update(input.der).digest('hex').toUpperCase(),
      thumbprintSha256: createHash('sha256').update(input.der).digest('base64url'),
      startDateTime: new Date(certificate.validFrom),
      endDateTime: new Date(certificate.validTo),
      usableFrom: existing?.usableFrom ?? new Date(Date.now() + propagation),
    };
  }

  /** Admin consent to application permissions: grants Graph app roles to the app's service principal in a tenant. */
  grantGraphAppRoles(tenantId: string, appId: string, values: string[]): void {
    const tenant = this.tenant(tenantId);
    const app = this.applications.get(appId);
    if (!app) throw new Error(`No application ${appId}.`);
    const principal = tenant.addServicePrincipal(appId, app.displayName);
    const graph = tenant.servicePrincipalByAppId(graphAppId);
    for (const value of values) {
      const role = graphAppRoles.find((candidate) => candidate.value === value);
      if (!role || !graph) throw new Error(`Graph has no application permission ${value}.`);
      if (principal.appRoleAssignments.some((assignment) => assignment.appRoleId === role.id)) continue;
      principal.appRoleAssignments.push({
        id: randomUUID(),
        resourceId: graph.id,
        appRoleId: role.id,
        createdDateTime: new Date().toISOString(),
      });
    }
  }
}
