import { beforeAll, describe, expect, it } from 'vitest';
import { onboardInNationalCloud } from '../support/onboard-manually.js';
import { useConnector } from '../support/use-connector.js';

// The China cloud (operated by 21Vianet), its endpoints pointed at the simulator.
const connector = useConnector({ CLOUD: 'AzureChinaCloud' });
let tenantId: string;

beforeAll(async () => {
  tenantId = await onboardInNationalCloud(connector);
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
