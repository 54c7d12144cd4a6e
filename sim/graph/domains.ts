import { randomInt } from 'node:crypto';
import { json } from '../http-kit.js';
import type { SimDomain } from '../tenant/model.js';
import { badRequest, graphError, notFound } from './graph-error.js';
import { roles } from './graph-permissions.js';
import { type GraphRoute, graphRoute, readBody } from './graph-route.js';

const readDomains = {
  application: ['Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All'],
  delegated: ['Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All'],
};
const writeDomains = {
  application: ['Domain.ReadWrite.All'],
  delegated: ['Domain.ReadWrite.All'],
  roles: [roles.domainNameAdministrator],
};

const txtRecord = (domain: SimDomain) => ({
  '@odata.type': '#microsoft.graph.domainDnsTxtRecord',
  id: `aceff52c-06a5-447f-ac5f-256ad243cc5c-${domain.id}`,
  isOptional: false,
  label: domain.id,
  recordType: 'Txt',
  supportedService: 'Email',
  ttl: 3600,
  text: `MS=${domain.verificationCode}`,
});

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
      if (tenant.domains.has(id)) {
        return graphError(
          400,
          'Request_BadRequest',
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
      const { verificationCode: _, ...visible } = domain;
      return json(201, visible);
    }),
    graphRoute('GET', '/domains', readDomains, ({ tenant }) =>
      json(200, {
        value: [...tenant.domains.values()].map(({ verificationCode: _, ...visible }) => visible),
      }),
    ),
    graphRoute('GET', '/domains/:id', readDomains, ({ request, tenant }) => {
      const domain = tenant.domains.get((request.params.id ?? '').toLowerCase());
      if (!domain) return notFound(request.params.id ?? '');
      const { verificationCode: _, ...visible } = domain;
      return json(200, visible);
    }),
    graphRoute('GET', '/domains/:id/verificationDnsRecords', readDomains, ({ request, tenant }) => {
      const domain = tenant.domains.get((request.params.id ?? '').toLowerCase());
      if (!domain) return notFound(request.params.id ?? '');
      return json(200, { value: domain.isVerified ? [] : [txtRecord(domain)] });
    }),
    graphRoute('POST', '/domains/:id/verify', writeDomains, ({ request, tenant, world }) => {
      const domain = tenant.domains.get((request.params.id ?? '').toLowerCase());
      if (!domain) return notFound(request.params.id ?? '');
      if (!domain.isVerified) {
        const published = world.dnsTxtRecords.get(domain.id);
        if (!published?.has(`MS=${domain.verificationCode}`)) {
          return badRequest(
            `Domain verification failed for ${domain.id}: the TXT record was not found in DNS.`,
          );
        }
        domain.isVerified = true;
        domain.supportedServices = ['Email', 'OfficeCommunicationsOnline'];
      }
      const { verificationCode: _, ...visible } = domain;
      return json(200, visible);
    }),
  ];
}
