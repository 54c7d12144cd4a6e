import { beforeAll, describe, expect, it } from 'vitest';
import { requiredPermissions } from '../../src/lib/validation/required-permissions.js';
import { onboardManually } from '../support/onboard-manually.js';
import { useConnector } from '../support/use-connector.js';

// The China cloud (operated by 21Vianet), its endpoints pointed at the simulator.
const connector = useConnector({ CLOUD: 'AzureChinaCloud' });
let tenantId: string;

beforeAll(async () => {
  connector.simulator.control.setGraphConfig({ teamsApis: false });
  tenantId = (connector.world.tenants[0] as { id: string }).id;
  const teams: readonly string[] = requiredPermissions.teams;
  await onboardManually(connector, tenantId, undefined, [
    ...requiredPermissions.replication.filter((permission) => !teams.includes(permission)),
    ...requiredPermissions.selfRotation,
  ]);
});

describe('access tokens where Microsoft documents no app-only Teams PowerShell', () => {
  it('refuses teams tokens, saying why, and still issues graph ones', async () => {
    const path = `/tenants/${tenantId}/services/dr-london/access-tokens`;
    const refused = await connector.call('POST', path, { body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toMatch(/teams_not_in_cloud$/);
    expect(refused.body.detail).toContain('ask for the graph resource alone');
    const graph = await connector.call('POST', path, { body: { resources: ['graph'] } });
    expect(graph.status).toBe(200);
    expect(graph.body.tokens.map((token: { resource: string }) => token.resource)).toEqual(['graph']);
  });
});
