import type { Simulator } from '../sim/server.js';
import { tenantSecretName } from '../src/lib/secrets/tenant-secret-store.js';

/** The one service every benchmark tenant has. */
export const benchServiceId = 'dr-1';

/**
 * A tenant connected as the manual path leaves it, in the simulator: an app registration with `permissions`
 * granted, and its secret in the connector's vault under the service's name. Returns the app's client id.
 */
export function connectInSimulator(
  simulator: Simulator,
  tenantId: string,
  permissions: string[],
  displayName = 'Connector',
): string {
  const app = simulator.directory.addApplication({ homeTenantId: tenantId, displayName });
  const secret = simulator.directory.addPassword(app.appId);
  simulator.control.grantGraphPermissions(tenantId, app.appId, permissions);
  simulator.vaults.get('connector')?.vault.put(tenantSecretName(tenantId, benchServiceId), {
    value: secret.secretText,
    tags: {
      tenant: tenantId,
      client: app.appId,
      service: benchServiceId,
      expiry: secret.endDateTime.toISOString(),
    },
    expires: Math.floor(secret.endDateTime.getTime() / 1000),
  });
  return app.appId;
}

/** The tenant row of an onboarded benchmark tenant (active, ready, one service). */
export function benchTenantRecord(
  clientId: string,
  at: string,
): Record<string, unknown> & { rowKey: 'tenant' } {
  return {
    rowKey: 'tenant',
    status: 'active',
    invitationId: 'bench',
    method: 'manual',
    clientId,
    servicePrincipalId: '',
    customer: '{}',
    services: JSON.stringify([{ id: benchServiceId, name: 'Bench' }]),
    licenceType: 'HostedPro',
    automaticDns: false,
    dnsWorkPending: false,
    verdict: 'ready',
    createdAt: at,
    updatedAt: at,
    statusChangedAt: at,
  };
}
