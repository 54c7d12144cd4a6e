import { beforeAll, describe, expect, it } from 'vitest';
import { siteStates } from '../../src/lib/sites/site-progress.js';
import { directoryRoles as r } from '../../src/lib/validation/directory-roles.js';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { eventually } from '../support/eventually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { crashTestSettings, useConnector } from '../support/use-connector.js';

const base = 'crash.example.net';
const connector = useConnector(
  { ...crashTestSettings, SBC_BASE_DOMAIN: base, SBC_DNS_TARGET: '203.0.113.20' },
  { queueMessageLeaseSeconds: 3 },
);
const ofSite = /site(%7C|\|)crash/i;

/** The states a site records, in order: a kill after each is a crash between it and the next step. */
const steps = siteStates.filter((state) => state !== 'failed');

beforeAll(() => {
  connector.simulator.control.setGraphConfig({ teamsProvisioningMs: 1_000 });
});

/** Kills the host right after storage took the site's `step` (its answer never read); resolves once dead. */
function killAfter(step: string): Promise<void> {
  if (!connector.storageProxy) throw new Error('the crash tests need the host process');
  return connector.storageProxy.killAtState(ofSite, step, 'kill-after');
}

/** Plays the core: sends the request until it is taken, publishes the records and asks for verification. */
async function driveToActivation(tenantId: string, label: string): Promise<void> {
  const body = { siteId: 'crash', label, usageLocation: 'GB' };
  let answered = false;
  await eventually(async () => {
    // A request that got no answer (the host died under it) is sent again, as the core does.
    if (!answered) {
      const sent = await connector
        .call('POST', `/tenants/${tenantId}/sites`, { body })
        .catch(() => undefined);
      answered = sent?.status === 202 || sent?.status === 200;
      return false;
    }
    const site = await connector.call('GET', `/tenants/${tenantId}/sites/crash`).catch(() => undefined);
    if (!site) return false;
    if (site.body.state === 'awaiting_dns') {
      for (const record of site.body.dnsRecords ?? [])
        if (record.type === 'TXT') connector.simulator.control.publishDnsTxt(record.name, record.value);
      await connector.call('POST', `/tenants/${tenantId}/sites/crash/verify`).catch(() => undefined);
    }
    return site.body.state === 'activated';
  }, 200_000);
}

describe('a site through host crashes (SIGKILL of the host process after each step it records)', () => {
  for (const step of steps)
    it(`ends activated with one domain, one user, one licence and each event once when killed after ${step}`, async () => {
      const tenant = await selfManagedTenant(connector, {
        quiet: true,
        permissions: [
          ...requiredPermissions.replication,
          ...requiredPermissions.selfRotation,
          ...requiredPermissions.automaticDns,
        ],
      });
      const { tenantId } = tenant;
      for (const role of [r.domainNameAdministrator.id, r.userAdministrator.id])
        connector.simulator.control.assignRole(tenantId, tenant.servicePrincipalId, role);
      const directory = connector.simulator.directory.tenant(tenantId);
      const seatsBefore = directory.subscribedSkus[0]?.consumedUnits ?? 0;

      const label = `crash-${step.replace('_', '-')}`;
      const domain = `${label}.${base}`;
      const killed = killAfter(step);
      const driving = driveToActivation(tenantId, label).catch((error: unknown) => error);
      await killed;
      await connector.restartHost();
      expect(await driving).toBeUndefined();

      expect([...directory.domains.keys()].filter((id) => id === domain)).toHaveLength(1);
      expect(directory.domains.get(domain)?.isVerified).toBe(true);
      const users = [...directory.users.values()].filter((user) =>
        user.userPrincipalName.endsWith(`@${domain}`),
      );
      expect(users).toHaveLength(1);
      expect(users[0]?.assignedLicenses).toHaveLength(1);
      expect(directory.subscribedSkus[0]?.consumedUnits).toBe(seatsBefore + 1);
      const events = (type: string) =>
        connector.standIn.events.filter((event) => event.type === type && event.data.tenantId === tenantId);
      await eventually(() => events('site.activated').length > 0, 150_000);
      expect(events('site.dns_record_required')).toHaveLength(1);
      expect(events('site.activated')).toHaveLength(1);
      expect(events('site.failed')).toHaveLength(0);
    }, 400_000);
});
