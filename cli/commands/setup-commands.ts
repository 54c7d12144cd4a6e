import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import type { Command } from 'commander';
import { eventSigningSecretName, requestSigningSecretsName } from '../../src/lib/core-api/signing-secrets.js';
import { GraphClient } from '../../src/lib/graph/graph-client.js';
import { AppTokenProvider } from '../../src/lib/identity/app-token-provider.js';
import { provisioningSecretName } from '../../src/lib/onboarding/automatic/provisioning-sign-in.js';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../connector-client.js';
import { defaultSetupClientId, signInOperator } from '../setup/operator-sign-in.js';
import { ProvisioningAppSetup, provisioningAppName } from '../setup/provisioning-app-setup.js';
import { explainingFailures } from '../setup/setup-failures.js';
import {
  resolvePublicBaseUrl,
  resolveSetupTarget,
  type SetupOptions,
  type SetupTarget,
} from '../setup/setup-target.js';
import { ensureSigningSecrets } from '../setup/signing-secrets-setup.js';
import { waitOutRolePropagation } from '../setup/wait-out-role-propagation.js';

/**
 * The operator's Key Vault access: a service principal from AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_CLIENT_SECRET when all are set (as EnvironmentCredential reads them), otherwise DefaultAzureCredential
 * (`az login`, a managed identity, …).
 */
/** How long the setup commands wait out Key Vault refusing a role that was just assigned (SETUP_ROLE_WAIT_SECONDS). */
const defaultRoleWaitSeconds = 300;

function roleWaitMs(env: Record<string, string | undefined>): number {
  const value = env.SETUP_ROLE_WAIT_SECONDS;
  if (value === undefined || value === '') return defaultRoleWaitSeconds * 1000;
  if (!/^\d{1,4}$/.test(value))
    throw new CliError(
      `SETUP_ROLE_WAIT_SECONDS must be a number of seconds (0–9999), not ${JSON.stringify(value)}.`,
    );
  return Number(value) * 1000;
}

function vaultClient(cli: CliContext, target: SetupTarget): SecretClient {
  const { env } = cli.io;
  const options = { authorityHost: target.authorityHost, disableInstanceDiscovery: target.customAuthority };
  const { AZURE_TENANT_ID: tenant, AZURE_CLIENT_ID: client, AZURE_CLIENT_SECRET: secret } = env;
  const credential =
    tenant && client && secret
      ? new ClientSecretCredential(tenant, client, secret, options)
      : new DefaultAzureCredential(options);
  const wait = waitOutRolePropagation({
    giveUpAfterMs: roleWaitMs(env),
    notice: (message) => cli.io.err(`${message}\n`),
  });
  return new SecretClient(target.keyVaultUrl, credential, {
    disableChallengeResourceVerification: target.customAuthority,
    additionalPolicies: [{ policy: wait, position: 'perCall' }],
  });
}

const vaultName = (target: SetupTarget) => new URL(target.keyVaultUrl).hostname.split('.')[0];
const showCommand = (target: SetupTarget, name: string) =>
  `az keyvault secret show --vault-name ${vaultName(target)} --name ${name} --query value -o tsv`;

const setupOptions = (command: Command) =>
  command
    .option('--vault-url <url>', "the connector's Key Vault (default KEY_VAULT_URL)")
    .option(
      '--cloud <name>',
      'AzurePublic, AzureUSGovernment, AzureUSGovernmentDoD or AzureChinaCloud (default CLOUD)',
    );

/** `setup provisioning-app`, `setup signing-secrets`: the operator's one-time setup, run again to repair or rotate. */
export function setupCommands(program: Command, cli: CliContext): void {
  const setup = program
    .command('setup')
    .description("the operator's one-time setup in their own tenant and vault");

  setupOptions(
    setup
      .command('provisioning-app')
      .description(
        'create or update the multi-tenant app customer admins sign in to; its secret goes to Key Vault',
      ),
  )
    .option('--public-base-url <url>', 'the connector’s public URL (default PUBLIC_BASE_URL)')
    .option(
      '--tenant <tenant>',
      'your tenant id or domain (default AZURE_TENANT_ID, else the one you sign in to)',
    )
    .option('--client-id <id>', 'the public client to sign in with', defaultSetupClientId)
    .option('--rotate-secret', 'add a new client secret even though the stored one is good')
    .action(
      async (
        options: SetupOptions & { publicBaseUrl?: string; clientId: string; rotateSecret?: boolean },
      ) => {
        const target = resolveSetupTarget(options, cli.io.env);
        const baseUrl = resolvePublicBaseUrl(options, cli.io.env);
        const session = await signInOperator(
          target,
          options.clientId,
          ['Application.ReadWrite.All'],
          (message) => cli.io.err(`${message}\n`),
        );
        const setupApp = new ProvisioningAppSetup({
          graph: new GraphClient({ endpoint: target.graphEndpoint }),
          secrets: vaultClient(cli, target),
          tokens: new AppTokenProvider(target),
        });
        const report = await explainingFailures(() =>
          setupApp.ensure({
            token: session.accessToken,
            tenantId: session.tenantId,
            publicBaseUrl: baseUrl,
            rotateSecret: options.rotateSecret,
          }),
        );
        cli.print(report, () => {
          const app = report.created
            ? `created ${provisioningAppName} (${report.clientId})`
            : report.changed.length > 0
              ? `updated ${provisioningAppName} (${report.clientId}): ${report.changed.join(', ')}`
              : `${provisioningAppName} (${report.clientId}) is as the connector needs it`;
          const secret = {
            added: `a client secret is in Key Vault as ${provisioningSecretName}`,
            replaced: `a new client secret replaced ${provisioningSecretName} in Key Vault`,
            kept: `the client secret in Key Vault (${provisioningSecretName}) is good`,
          }[report.secret];
          return [
            `Signed in as ${session.username} (tenant ${session.tenantId}).`,
            `App: ${app}.`,
            `Secret: ${secret}; it expires ${report.secretExpiresOn.slice(0, 10)}.`,
            ...(report.otherRedirectUris.length > 0
              ? [`Also allowed (left as they were): ${report.otherRedirectUris.join(', ')}`]
              : []),
            ...(report.supersededKeyId
              ? [
                  `The previous secret still works. Once every instance has read the new one (SECRET_CACHE_SECONDS), remove it:`,
                  `  az ad app credential delete --id ${report.clientId} --key-id ${report.supersededKeyId}`,
                ]
              : []),
            'Set this app setting on the Function App:',
            `  PROVISIONING_CLIENT_ID=${report.clientId}`,
          ].join('\n');
        });
      },
    );

  setupOptions(
    setup
      .command('signing-secrets')
      .description('create or rotate the secrets that sign core requests and connector events'),
  )
    .option('--rotate', 'add a new request signing secret; the old one stays accepted until --retire-old')
    .option('--retire-old', 'stop accepting the older request signing secret (after the core switched)')
    .option(
      '--rotate-event-secret',
      'replace the event signing secret (the core should accept both meanwhile)',
    )
    .option('--reveal', 'print the secret values for the core (otherwise: how to read them from Key Vault)')
    .action(
      async (
        options: SetupOptions & {
          rotate?: boolean;
          retireOld?: boolean;
          rotateEventSecret?: boolean;
          reveal?: boolean;
        },
      ) => {
        if (options.rotate && options.retireOld)
          throw new CliError('--rotate and --retire-old are two steps: run one, then the other.');
        const target = resolveSetupTarget(options, cli.io.env);
        const report = await explainingFailures(() =>
          ensureSigningSecrets(vaultClient(cli, target), {
            rotate: options.rotate,
            retire: options.retireOld,
            rotateEventSecret: options.rotateEventSecret,
          }),
        );
        const { requestSecret, eventSecret, ...summary } = report;
        const values = options.reveal ? { requestSecret, eventSecret } : {};
        cli.print(
          {
            ...summary,
            ...values,
            requestSecretsName: requestSigningSecretsName,
            eventSecretName: eventSigningSecretName,
          },
          () =>
            [
              `Requests (core to connector): ${report.requestSecrets}; the connector accepts ${report.acceptedRequestSecrets} secret${report.acceptedRequestSecrets === 1 ? '' : 's'}.`,
              options.reveal
                ? `  The core signs with: ${requestSecret}`
                : `  The core signs with the first of: ${showCommand(target, requestSigningSecretsName)}`,
              ...(report.acceptedRequestSecrets > 1
                ? [
                    '  Once the core signs with it, stop accepting the old one: npm run cli -- setup signing-secrets --retire-old',
                  ]
                : []),
              `Events (connector to core): ${report.eventSecretChange}.`,
              options.reveal
                ? `  The core verifies with: ${eventSecret}`
                : `  The core verifies with: ${showCommand(target, eventSigningSecretName)}`,
              'The core also needs the connector’s URL (https://APP.azurewebsites.net/api) and a function key (docs/deploy.md).',
            ].join('\n'),
        );
      },
    );
}
