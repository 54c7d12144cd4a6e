import type { Simulator } from './server.js';

/** The operator's side of a local run: its tenant, the connector's own identity, and the connector's vault. */
export interface OperatorSample {
  tenantId: string;
  /** Stands in for the Function app's managed identity (as AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET). */
  connectorIdentity: { clientId: string; clientSecret: string };
  keyVaultUrl: string;
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
  return {
    tenantId: tenant.id,
    connectorIdentity: { clientId: identity.appId, clientSecret: secret.secretText },
    keyVaultUrl: simulator.keyVaultUrl(vault.name),
  };
}
