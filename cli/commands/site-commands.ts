import type { Command } from 'commander';
import type { SiteView } from '../../src/lib/sites/site-schema.js';
import type { CliContext } from '../cli-context.js';
import { textTable } from '../text-table.js';

const sitePath = (tenantId: string, siteId?: string) =>
  `/tenants/${encodeURIComponent(tenantId)}/sites${siteId ? `/${encodeURIComponent(siteId)}` : ''}`;

function describeSite(site: SiteView): string {
  const lines = [`Site ${site.siteId}: ${site.domain}, ${site.state}.`];
  if (site.state === 'awaiting_dns' && site.dnsRecords) {
    lines.push('Publish these records, then run verify-site:');
    for (const record of site.dnsRecords)
      lines.push(`  ${record.name} ${record.ttl} IN ${record.type} ${record.value}   (${record.purpose})`);
  }
  if (site.lastError) lines.push(`Last attempt: ${site.lastError}`);
  if (site.nextAttemptAt)
    lines.push(`Next attempt: ${site.nextAttemptAt.replace('T', ' ').slice(0, 19)} UTC`);
  if (site.failure) lines.push(`Failed: ${site.failure}`);
  return lines.join('\n');
}

/** `add-site`, `sites`, `site`, `verify-site`: sites with automatic DNS on an onboarded tenant. */
export function siteCommands(program: Command, cli: CliContext): void {
  program
    .command('add-site <tenantId> <siteId> <label>')
    .description('add a site: <label>.SBC_BASE_DOMAIN in the tenant, verified and activated')
    .requiredOption('--usage-location <country>', 'the activation user’s country (ISO 3166 alpha-2, e.g. GB)')
    .action(async (tenantId: string, siteId: string, label: string, options: { usageLocation: string }) => {
      const site = await cli.call<SiteView>('POST', sitePath(tenantId), {
        siteId,
        label,
        usageLocation: options.usageLocation,
      });
      cli.print(site, () => describeSite(site));
    });

  program
    .command('sites <tenantId>')
    .description('list a tenant’s sites and where each is')
    .action(async (tenantId: string) => {
      const { value } = await cli.call<{ value: SiteView[] }>('GET', sitePath(tenantId));
      cli.print(value, () =>
        textTable(
          ['site', 'domain', 'state', 'next attempt', 'last error or failure'],
          value.map((site) => [
            site.siteId,
            site.domain,
            site.state,
            site.nextAttemptAt?.replace('T', ' ').slice(0, 16),
            site.failure ?? site.lastError,
          ]),
        ),
      );
    });

  program
    .command('site <tenantId> <siteId>')
    .description('one site: its step, DNS records, activation user')
    .action(async (tenantId: string, siteId: string) => {
      const site = await cli.call<SiteView>('GET', sitePath(tenantId, siteId));
      cli.print(site, () => describeSite(site));
    });

  program
    .command('verify-site <tenantId> <siteId>')
    .description('the DNS records are published: verify the sub-domain now')
    .action(async (tenantId: string, siteId: string) => {
      const site = await cli.call<SiteView>('POST', `${sitePath(tenantId, siteId)}/verify`);
      cli.print(site, () => describeSite(site));
    });
}
