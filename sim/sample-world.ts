import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/lib/project-root.js';
import { roles } from './graph/graph-permissions.js';
import type { Simulator } from './server.js';
import { generateTenant, type TenantSpec } from './tenant/generate-tenant.js';

/** The operator's side of a local run: its tenant, the connector's own identity, and the connector's vault. */
export interface OperatorSample {
  tenantId: string;
  /** Stands in for the Function app's managed identity (as AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET). */
  connectorIdentity: { clientId: string; clientSecret: string };
  keyVaultUrl: string;
  /** The operator's administrator (Application Administrator), who runs the one-time setup. */
  admin: { id: string; userPrincipalName: string };
}

export interface SampleWorld extends OperatorSample {
  /** The operator's multi-tenant provisioning app, which customer admins sign in to. */
  provisioningApp: { clientId: string; clientSecret: string; redirectUris: string[] };
  tenants: {
    id: string;
    displayName: string;
    domain: string;
    admin: { userPrincipalName: string; roles: string[] };
  }[];
}

export async function seedOperator(simulator: Simulator): Promise<OperatorSample> {
  const tenant = simulator.directory.addTenant({
    displayName: 'Live Platform Operator',
    domain: 'liveplatformoperator.onmicrosoft.com',
  });
  const identity = simulator.directory.addApplication({
    homeTenantId: tenant.id,
    displayName: 'M365 Tenant Connector (local identity)',
  });
  const secret = simulator.directory.addPassword(identity.appId, {
    displayName: 'local run',
    lifetimeDays: 365,
  });
  const vault = await simulator.addVault('connector', tenant.id);
  vault.allowedAppIds.add(identity.appId);
  const admin = simulator.control.addUser(tenant.id, { displayName: 'Operator Admin', alias: 'admin' });
  tenant.assignRole(admin.id, roles.applicationAdministrator);
  return {
    tenantId: tenant.id,
    admin: { id: admin.id, userPrincipalName: admin.userPrincipalName },
    connectorIdentity: { clientId: identity.appId, clientSecret: secret.secretText },
    keyVaultUrl: simulator.keyVaultUrl(vault.name),
  };
}

const fixturesDir = join(projectRoot(import.meta.url), 'sim', 'fixtures');

export function sampleTenantSpecs(): TenantSpec[] {
  return (
    JSON.parse(readFileSync(join(fixturesDir, 'sample-tenants.json'), 'utf8')) as { tenants: TenantSpec[] }
  ).tenants;
}

/**
 * What `npm run sim` and `npm start` run against: the operator (identity and vault), its multi-tenant
 * provisioning app, and the sample customer tenants of `sim/fixtures/sample-tenants.json`: one whose admin is a
 * Global Administrator, one whose admin is only an Application Administrator.
 */
export async function seedSampleWorld(simulator: Simulator, redirectUris: string[]): Promise<SampleWorld> {
  const operator = await seedOperator(simulator);
  const provisioning = simulator.directory.addApplication({
    homeTenantId: operator.tenantId,
    displayName: 'Live Platform Provisioning',
    signInAudience: 'AzureADMultipleOrgs',
    redirectUris,
  });
  const provisioningSecret = simulator.directory.addPassword(provisioning.appId, {
    displayName: 'sample',
    lifetimeDays: 365,
  });
  const tenants = sampleTenantSpecs().map((spec) => {
    const tenant = generateTenant(simulator.directory, spec);
    const admin = spec.admins?.[0];
    return {
      id: tenant.id,
      displayName: tenant.displayName,
      domain: tenant.initialDomain,
      admin: { userPrincipalName: `${admin?.alias}@${spec.domain}`, roles: admin?.roles ?? [] },
    };
  });
  return {
    ...operator,
    provisioningApp: {
      clientId: provisioning.appId,
      clientSecret: provisioningSecret.secretText,
      redirectUris,
    },
    tenants,
  };
}
