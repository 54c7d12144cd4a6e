import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/lib/project-root.js';
import { ArmSchemas } from '../support/arm-schemas.js';

const root = projectRoot(import.meta.url);
const read = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8'));
const template = read('infra/main.json');
const parameterFile = read('infra/main.parameters.json');
const schemas = new ArmSchemas(join(root, 'infra', 'arm-schemas'));

interface Resource {
  type: string;
  apiVersion: string;
  name: string;
  scope?: string;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}
const resources = template.resources as Resource[];
const ofType = (type: string) => resources.filter((resource) => resource.type === type);
const site = ofType('Microsoft.Web/sites')[0] as Resource;
const siteConfig = (site.properties as { siteConfig: { appSettings: { name: string; value: string }[] } })
  .siteConfig;
const appSettings = new Map<string, string>(siteConfig.appSettings.map(({ name, value }) => [name, value]));

/** Built-in Azure roles by id (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles) and the resource each is meant for. */
const builtInRoles: Record<string, { name: string; scope: string }> = {
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': { name: 'Key Vault Secrets Officer', scope: 'vaultId' },
  'a4417e6f-fecd-4de8-b567-7b0420556985': { name: 'Key Vault Certificates Officer', scope: 'vaultId' },
  '12338af0-0e69-4776-bea7-57ae8d297424': { name: 'Key Vault Crypto User', scope: 'vaultId' },
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': { name: 'Storage Blob Data Owner', scope: 'storageId' },
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': { name: 'Storage Queue Data Contributor', scope: 'storageId' },
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': { name: 'Storage Table Data Contributor', scope: 'storageId' },
  '3913510d-42f4-4e42-8a64-420c390055eb': { name: 'Monitoring Metrics Publisher', scope: 'insightsId' },
};

describe('the deployment template (infra/main.json)', () => {
  it('is a valid ARM template, with a valid parameters file naming only its parameters', () => {
    expect(schemas.template(template)).toEqual([]);
    expect(schemas.parameters(parameterFile)).toEqual([]);
    for (const name of Object.keys(parameterFile.parameters))
      expect(Object.keys(template.parameters)).toContain(name);
  });

  it('has every resource valid against its provider’s schema, at an API version there is a schema for', () => {
    for (const resource of resources) {
      expect({ type: resource.type, errors: schemas.resource(resource) }).toEqual({
        type: resource.type,
        errors: [],
      });
    }
  });

  it('fails the schema check on a resource with a wrong value (the check can fail)', () => {
    const broken = structuredClone(ofType('Microsoft.Storage/storageAccounts')[0] as Resource);
    (broken.properties as Record<string, unknown>).minimumTlsVersion = 'TLS0_9';
    expect(schemas.resource(broken)).not.toEqual([]);
    expect(schemas.resource({ type: 'Microsoft.Web/sites', apiVersion: '2021-01-01' })).toBe('no schema');
  });

  it('deploys a Flex Consumption Node 22 app with its deployment container, memory and scale as parameters', () => {
    const plan = ofType('Microsoft.Web/serverfarms')[0] as Resource;
    expect(plan.sku).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    const config = site.properties?.functionAppConfig as Record<string, Record<string, unknown>>;
    expect(config.runtime).toEqual({ name: 'node', version: '22' });
    expect(config.scaleAndConcurrency).toEqual({
      maximumInstanceCount: "[parameters('maximumInstanceCount')]",
      instanceMemoryMB: "[parameters('instanceMemoryMB')]",
    });
    expect(JSON.stringify(config.deployment)).toContain('UserAssignedIdentity');
    expect(ofType('Microsoft.Storage/storageAccounts/blobServices/containers')).toHaveLength(1);
  });

  it('leaves out the app settings Flex Consumption refuses (the runtime is in functionAppConfig)', () => {
    for (const name of [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'WEBSITE_CONTENTSHARE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
      'SCM_DO_BUILD_DURING_DEPLOYMENT',
    ])
      expect(appSettings.has(name)).toBe(false);
  });

  it('reaches storage by identity (all three service URIs, the managed identity), with shared keys off', () => {
    expect(appSettings.has('AzureWebJobsStorage')).toBe(false);
    for (const service of ['blob', 'queue', 'table'])
      expect(appSettings.get(`AzureWebJobsStorage__${service}ServiceUri`)).toContain(
        `primaryEndpoints.${service}`,
      );
    expect(appSettings.get('AzureWebJobsStorage__credential')).toBe('managedidentity');
    expect(appSettings.get('AzureWebJobsStorage__clientId')).toContain('clientId');
    const storage = ofType('Microsoft.Storage/storageAccounts')[0] as Resource;
    expect(storage.properties).toMatchObject({ allowSharedKeyAccess: false, allowBlobPublicAccess: false });
  });

  it('has a Key Vault with RBAC, soft delete and purge protection', () => {
    const vault = ofType('Microsoft.KeyVault/vaults')[0] as Resource;
    expect(vault.properties).toMatchObject({
      enableRbacAuthorization: true,
      enableSoftDelete: true,
      enablePurgeProtection: true,
    });
  });

  it('sets every setting the connector requires, and none holds a secret', () => {
    // A timer schedule named as %SETTING% needs the setting, or the Functions host does not index the function.
    const scheduled = readdirSync(join(root, 'src', 'functions')).flatMap((file) =>
      [...readFileSync(join(root, 'src', 'functions', file), 'utf8').matchAll(/'%([A-Z_]+)%'/g)].map(
        (match) => match[1] as string,
      ),
    );
    expect(scheduled).toEqual(expect.arrayContaining(['REPLICATION_SCHEDULE', 'CREDENTIAL_CHECK_SCHEDULE']));
    for (const name of [
      'KEY_VAULT_URL',
      'PUBLIC_BASE_URL',
      'CLOUD',
      'CORE_WEBHOOK_URL',
      'PROVISIONING_CLIENT_ID',
      ...scheduled,
    ])
      expect(appSettings.has(name), name).toBe(true);
    for (const [name, value] of appSettings) {
      expect(name).not.toMatch(/SECRET|PASSWORD|ACCOUNTKEY/i);
      expect(value).not.toMatch(/AccountKey=|listKeys|SharedAccessSignature|whsec_/i);
    }
    expect(JSON.stringify(template)).not.toMatch(/listKeys|securestring/i);
    expect(Object.keys(template.outputs)).toEqual(expect.arrayContaining(['functionAppUrl', 'keyVaultUri']));
  });

  it('assigns each built-in role by its id on the resource it is for', () => {
    const assignments = ofType('Microsoft.Authorization/roleAssignments');
    const named = new Set<string>();
    for (const assignment of assignments) {
      const roleVariable =
        /variables\('roles'\)\.(\w+)/.exec(String(assignment.properties?.roleDefinitionId))?.[1] ?? '';
      const roleId = template.variables.roles[roleVariable] as string;
      const role = builtInRoles[roleId];
      expect(role, `role ${roleVariable}`).toBeDefined();
      expect(assignment.scope).toBe(`[variables('${role?.scope}')]`);
      named.add(role?.name ?? '');
    }
    expect([...named].sort()).toEqual(
      Object.values(builtInRoles)
        .map((role) => role.name)
        .sort(),
    );
  });
});
