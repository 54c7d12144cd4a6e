import { createHash, randomInt } from 'node:crypto';
import { json } from '../http-kit.js';
import type { SimDomain } from '../tenant/model.js';
import type { TenantState } from '../tenant/tenant-state.js';
import type { GraphConfig } from './graph-config.js';
import { badRequest, graphError, notFound } from './graph-error.js';
import { roles } from './graph-permissions.js';
import { type GraphRoute, graphRoute, readBody } from './graph-route.js';
import { replicating } from './replication-delay.js';

const readDomains = {
  application: ['Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All'],
  delegated: ['Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All'],
  // Domain Name Administrator reads domains as it writes them (for an app too).
  roles: [roles.domainNameAdministrator],
};
const writeDomains = {
  application: ['Domain.ReadWrite.All'],
  delegated: ['Domain.ReadWrite.All'],
  roles: [roles.domainNameAdministrator],
};

/** A record's id is a GUID of its own (stable per domain and kind here). */
const recordId = (domain: SimDomain, kind: string) =>
  createHash('sha256')
    .update(`${domain.id}|${kind}|${domain.verificationCode}`)
    .digest('hex')
    .slice(0, 32)
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

/**
 * The records that prove a domain, as `verificationDnsRecords` lists them: the TXT `MS=ms…` and the MX
 * `ms….msv1.invalid` (preference 32767) Microsoft offers as the other way; either one is enough.
 * https://learn.microsoft.com/graph/api/domain-list-verificationdnsrecords
 */
const verificationRecords = (domain: SimDomain) => [
  {
    '@odata.type': '#microsoft.graph.domainDnsTxtRecord',
    id: recordId(domain, 'txt'),
    isOptional: false,
    label: domain.id,
    recordType: 'Txt',
    supportedService: null,
    ttl: 3600,
    text: `MS=${domain.verificationCode}`,
  },
  {
    '@odata.type': '#microsoft.graph.domainDnsMxRecord',
    id: recordId(domain, 'mx'),
    isOptional: false,
    label: domain.id,
    recordType: 'Mx',
    supportedService: null,
    ttl: 3600,
    mailExchange: `${domain.verificationCode}.msv1.invalid`,
    preference: 32767,
  },
];

/**
 * Suffixes Microsoft keeps for itself: adding a domain under one fails with a 500 (as Microsoft documents it
 * happens for protected DNS suffixes).
 */
const protectedSuffixes = ['onmicrosoft.com', 'microsoft.com', 'microsoftonline.com', 'azurewebsites.net'];

/** Microsoft documents no exact wording for these two refusals of `verify`; each is one constant. */
export const verifiedElsewhereMessage =
  'Domain verification failed: the domain is already verified in another directory.';
export const alreadyVerifiedMessage = 'Domain verification failed: the domain is already verified.';
export const recordNotFoundMessage = (domain: string) =>
  `Domain verification failed for ${domain}: the TXT record was not found in DNS.`;

/** A domain of the tenant that the answering replica knows (one added moments ago may not be). */
function known(tenant: TenantState, id: string | undefined, config: GraphConfig): SimDomain | undefined {
  const domain = tenant.domains.get((id ?? '').toLowerCase());
  return domain && !replicating(tenant, `domain:${domain.id}`, config) ? domain : undefined;
}

/**
 * Custom domains: create, read, the TXT record to publish, verify. Verification succeeds once the TXT record
 * is "published" through the control API (the simulator's stand-in for public DNS).
 * https://learn.microsoft.com/graph/api/resources/domain
 */
export function domainRoutes(): GraphRoute[] {
  return [
    graphRoute('POST', '/domains', writeDomains, ({ request, tenant }) => {
      const id = readBody<{ id?: string }>(request)?.id?.toLowerCase();
      if (!id || !/^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(id)) {
        return badRequest('Domain name is invalid.');
      }
      if (protectedSuffixes.some((suffix) => id === suffix || id.endsWith(`.${suffix}`))) {
        return graphError(500, 'InternalServerError', 'An internal server error occurred.');
      }
      if (tenant.domains.has(id)) {
        // Microsoft documents no answer for a duplicate; the directory's duplicate-key conflict is assumed.
        return graphError(
          409,
          'Request_MultipleObjectsWithSameKeyValue',
          'Another object with the same value for property id already exists.',
        );
      }
      const domain: SimDomain = {
        id,
        isVerified: false,
        isDefault: false,
        isInitial: false,
        authenticationType: 'Managed',
        supportedServices: [],
        verificationCode: `ms${randomInt(10_000_000, 99_999_999)}`,
      };
      tenant.domains.set(id, domain);
      tenant.madeAt.set(`domain:${id}`, Date.now());
      const { verificationCode: _, ...visible } = domain;
      return json(201, visible);
    }),
    graphRoute('GET', '/domains', readDomains, ({ tenant }) =>
      json(200, {
        value: [...tenant.domains.values()].map(({ verificationCode: _, ...visible }) => visible),
      }),
    ),
    graphRoute('GET', '/domains/:id', readDomains, ({ request, tenant, config }) => {
      const domain = known(tenant, request.params.id, config);
      if (!domain) return notFound(request.params.id ?? '');
      const { verificationCode: _, ...visible } = domain;
      return json(200, visible);
    }),
    graphRoute('GET', '/domains/:id/verificationDnsRecords', readDomains, ({ request, tenant, config }) => {
      const domain = known(tenant, request.params.id, config);
      if (!domain) return notFound(request.params.id ?? '');
      return json(200, { value: domain.isVerified ? [] : verificationRecords(domain) });
    }),
    graphRoute(
      'POST',
      '/domains/:id/verify',
      writeDomains,
      ({ request, tenant, world, directory, config }) => {
        const domain = known(tenant, request.params.id, config);
        if (!domain) return notFound(request.params.id ?? '');
        // Verifying a verified domain again is refused (assumed: Microsoft documents no answer for it).
        if (domain.isVerified) return badRequest(alreadyVerifiedMessage);
        const elsewhere = [...directory.tenants.values()].some(
          (other) => other.id !== tenant.id && other.domains.get(domain.id)?.isVerified,
        );
        if (elsewhere) return badRequest(verifiedElsewhereMessage);
        const publishedAt = world.dnsTxtRecords.get(domain.id)?.get(`MS=${domain.verificationCode}`);
        if (publishedAt === undefined || Date.now() - publishedAt < config.dnsPropagationMs) {
          return badRequest(recordNotFoundMessage(domain.id));
        }
        domain.isVerified = true;
        tenant.madeAt.set(`verified:${domain.id}`, Date.now());
        domain.supportedServices = ['Email', 'OfficeCommunicationsOnline'];
        const { verificationCode: _, ...visible } = domain;
        return json(200, visible);
      },
    ),
  ];
}
