import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateCertificates } from './certificates.js';
import { seedSampleWorld } from './sample-world.js';
import { Simulator } from './server.js';

/**
 * `npm run sim`: the Microsoft 365 simulator alone, with the sample world. `--json` prints one JSON line when
 * ready (for scripts); otherwise a summary for people. Ctrl-C stops it.
 */
const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    port: { type: 'string', default: '7443' },
    'redirect-uri': {
      type: 'string',
      multiple: true,
      default: ['http://localhost:7071/api/callback/sign-in'],
    },
  },
});

const certificates = await loadOrCreateCertificates(join(process.cwd(), '.local', 'sim'));
const simulator = await Simulator.start({ certificates, port: Number(args.port) });
const world = await seedSampleWorld(simulator, args['redirect-uri']);
const ready = {
  authorityHost: simulator.authorityHost,
  graphEndpoint: simulator.graphEndpoint,
  keyVaultUrl: world.keyVaultUrl,
  caCertPath: certificates.caCertPath,
  controlApi: `${simulator.url}/_sim`,
  operatorTenantId: world.tenantId,
  connectorIdentity: world.connectorIdentity,
  provisioningApp: world.provisioningApp,
  tenants: world.tenants,
};

if (args.json) {
  process.stdout.write(`${JSON.stringify(ready)}\n`);
} else {
  console.log(`Microsoft 365 simulator at ${simulator.url}

  Authority host    ${ready.authorityHost}
  Graph endpoint    ${ready.graphEndpoint}
  Key Vault         ${ready.keyVaultUrl}
  Control API       ${ready.controlApi}
  Test CA           ${ready.caCertPath}   (NODE_EXTRA_CA_CERTS=${ready.caCertPath})

  Provisioning app  ${world.provisioningApp.clientId} (multi-tenant; secret with --json)
  Tenants`);
  for (const tenant of world.tenants) {
    console.log(
      `    ${tenant.displayName}  ${tenant.id}  ${tenant.domain}  admin ${tenant.admin.userPrincipalName} (${tenant.admin.roles.join(', ')})`,
    );
  }
  console.log(
    `\nSign in as a person: ${simulator.url}/organizations/oauth2/v2.0/authorize?client_id=${world.provisioningApp.clientId}&response_type=code&redirect_uri=${encodeURIComponent(world.provisioningApp.redirectUris[0] ?? '')}&scope=openid%20profile\n\nPress Ctrl-C to stop.`,
  );
}

const stop = () => {
  simulator.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
