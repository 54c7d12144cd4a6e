import type { SimApplication } from '../../sim/directory.js';
import type { ConnectorFixture } from './connector-fixture.js';
import { eventually } from './eventually.js';
import { onboardManually } from './onboard-manually.js';

let tenants = 0;

/**
 * A small customer tenant of its own, onboarded manually, its app made its own owner (as automatic onboarding
 * makes it) unless `owner` is false, so the connector may change the app's passwords. With `quiet`, waits until
 * onboarding's events reached the core (a host killed while it delivers them would hold the tenant's stream).
 */
export async function selfManagedTenant(
  connector: ConnectorFixture,
  options: { owner?: boolean; permissions?: readonly string[]; quiet?: boolean } = {},
) {
  tenants += 1;
  const name = `self-managed-${process.pid}-${tenants}`;
  const tenant = connector.simulator.control.generateTenant({
    displayName: name,
    domain: `${name}.example`,
    seed: process.pid * 100 + tenants,
    sizes: { users: 2, groups: 1 },
  });
  const onboarded = await onboardManually(
    connector,
    tenant.id,
    undefined,
    options.permissions,
    {},
    {
      owner: options.owner,
    },
  );
  const app = connector.simulator.directory.applications.get(onboarded.clientId) as SimApplication;
  if (options.quiet)
    await eventually(
      () =>
        connector.standIn.events.some(
          (event) => event.type === 'tenant.validation_changed' && event.data.tenantId === tenant.id,
        ),
      30_000,
    );
  return { tenantId: tenant.id, app, ...onboarded };
}
