import { randomBytes, randomUUID } from 'node:crypto';

export interface SimTenant {
  id: string;
  displayName: string;
  /** Verified domains; the first is the initial `*.onmicrosoft.com` one. */
  domains: string[];
}

export interface SimPasswordCredential {
  keyId: string;
  displayName: string;
  secretText: string;
  endDateTime: Date;
}

export interface SimApplication {
  appId: string;
  homeTenantId: string;
  displayName: string;
  signInAudience: 'AzureADMyOrg' | 'AzureADMultipleOrgs';
  passwordCredentials: SimPasswordCredential[];
  redirectUris: string[];
}

export interface SimServicePrincipal {
  id: string;
  appId: string;
  tenantId: string;
  /** Application permissions granted by admin consent, by resource (e.g. `https://graph.microsoft.com`). */
  appRoles: Map<string, Set<string>>;
}

/** The simulator's Entra directory: tenants, app registrations and their service principals per tenant. */
export class Directory {
  readonly tenants = new Map<string, SimTenant>();
  readonly applications = new Map<string, SimApplication>();
  readonly servicePrincipals: SimServicePrincipal[] = [];

  addTenant(input: { displayName: string; domain: string; id?: string }): SimTenant {
    const tenant = { id: input.id ?? randomUUID(), displayName: input.displayName, domains: [input.domain] };
    this.tenants.set(tenant.id, tenant);
    return tenant;
  }

  /** A tenant by GUID or by one of its verified domains (case-insensitive). */
  resolveTenant(reference: string): SimTenant | undefined {
    const wanted = reference.toLowerCase();
    return (
      this.tenants.get(wanted) ??
      [...this.tenants.values()].find((tenant) =>
        tenant.domains.some((domain) => domain.toLowerCase() === wanted),
      )
    );
  }

  /** Registers an app in its home tenant, with its service principal there. */
  addApplication(input: {
    homeTenantId: string;
    displayName: string;
    signInAudience?: SimApplication['signInAudience'];
    redirectUris?: string[];
    appId?: string;
  }): SimApplication {
    const app: SimApplication = {
      appId: input.appId ?? randomUUID(),
      homeTenantId: input.homeTenantId,
      displayName: input.displayName,
      signInAudience: input.signInAudience ?? 'AzureADMyOrg',
      passwordCredentials: [],
      redirectUris: input.redirectUris ?? [],
    };
    this.applications.set(app.appId, app);
    this.addServicePrincipal(app.homeTenantId, app.appId);
    return app;
  }

  addServicePrincipal(tenantId: string, appId: string): SimServicePrincipal {
    const existing = this.servicePrincipal(tenantId, appId);
    if (existing) return existing;
    const principal = { id: randomUUID(), appId, tenantId, appRoles: new Map<string, Set<string>>() };
    this.servicePrincipals.push(principal);
    return principal;
  }

  servicePrincipal(tenantId: string, appId: string): SimServicePrincipal | undefined {
    return this.servicePrincipals.find((sp) => sp.tenantId === tenantId && sp.appId === appId);
  }

  /** Adds a client secret (like addPassword) and returns it; its text is shown only here. */
  addPassword(
    appId: string,
    options: { displayName?: string; lifetimeDays?: number } = {},
  ): SimPasswordCredential {
    const app = this.applications.get(appId);
    if (!app) throw new Error(`No application ${appId}.`);
    const credential = {
      keyId: randomUUID(),
      displayName: options.displayName ?? 'secret',
      secretText: `${randomBytes(3).toString('base64url')}~${randomBytes(27).toString('base64url')}`,
      endDateTime: new Date(Date.now() + (options.lifetimeDays ?? 180) * 24 * 3600 * 1000),
    };
    app.passwordCredentials.push(credential);
    return credential;
  }
}
