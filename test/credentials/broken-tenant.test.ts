import { describe, expect, it } from 'vitest';
import { tenantCertificateName } from '../../src/lib/secrets/tenant-certificates.js';
import { certificateTenant } from '../support/certificate-tenant.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector();

describe('one broken tenant does not break the fleet', () => {
  it('lists every tenant when one tenant’s Key Vault certificate is gone, and says what that tenant must do', async () => {
    const healthy = await selfManagedTenant(connector);
    const { tenantId } = await certificateTenant(connector);
    const vault = connector.simulator.vaults.get('connector')?.vault;
    expect(vault?.certificates.delete(tenantCertificateName(tenantId, 'dr-london').toLowerCase())).toBe(true);

    const fleet = await connector.call('GET', '/credentials');
    expect(fleet.status).toBe(200);
    const listed = fleet.body.value as { tenantId: string; problem?: string; expiresAt?: string }[];
    expect(listed.find((entry) => entry.tenantId === healthy.tenantId)?.expiresAt).toBeDefined();
    expect(listed.find((entry) => entry.tenantId === tenantId)).toMatchObject({
      renewal: 'customer',
      problem: expect.stringContaining('Reconnect the tenant'),
    });

    const view = await connector.call('GET', `/tenants/${tenantId}`);
    expect(view.status).toBe(200);
    const validated = await connector.call('POST', `/tenants/${tenantId}/validate`);
    expect(validated.status).toBe(200);
    expect(validated.body).toMatchObject({
      status: 'credentials_invalid',
      problem: { code: 'certificate_missing' },
    });
    expect(connector.logs.filter((line) => /failed RestError/.test(line))).toEqual([]);
  }, 120_000);
});
