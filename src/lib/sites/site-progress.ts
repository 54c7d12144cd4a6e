import type { DnsRecord } from './site-schema.js';

export const siteStates = [
  'requested',
  'domain_added',
  'awaiting_dns',
  'verified',
  'user_created',
  'activating',
  'activated',
  'failed',
] as const;
export type SiteState = (typeof siteStates)[number];

/**
 * One site of a tenant, in its partition (`site|{siteId}`): a sub-domain of the operator's SBC base domain taken
 * through Microsoft's steps. Owner: TenantSites. Each state is recorded before the next step begins:
 * - `requested`: nothing asked of Microsoft yet;
 * - `domain_added`: the domain is in the tenant, unverified;
 * - `awaiting_dns`: its TXT record is known and site.dns_record_required was sent; verification is retried;
 * - `verified`: Microsoft verified the domain;
 * - `user_created`: the activation user exists on it (`userId`);
 * - `activating`: it holds a Teams Phone licence (`skuId`); the activation signal is awaited;
 * - `activated`: Teams can use the domain (site.activated sent);
 * - `failed` at `failedStep` (site.failed sent); the same request starts it again from that step.
 */
export interface SiteProgress {
  siteId: string;
  label: string;
  domain: string;
  usageLocation: string;
  state: SiteState;
  failedStep?: SiteState;
  /** JSON of DnsRecord[] (from awaiting_dns on). */
  dnsRecords?: string;
  /** When the site began to wait for its DNS, and when the activation began: the limits count from them. */
  awaitingDnsSince?: string;
  activatingSince?: string;
  userPrincipalName: string;
  userId?: string;
  skuId?: string;
  /** Failed attempts at the current step in a row (reset when a step succeeds). */
  attempts: number;
  lastAttemptAt?: string;
  nextAttemptAt?: string;
  lastError?: string;
  failure?: string;
  createdAt: string;
  updatedAt: string;
  activatedAt?: string;
}

/** A site with work left (its DNS roles are needed now). */
export const siteWorking = (site: SiteProgress) => site.state !== 'activated' && site.state !== 'failed';

export const recordsOf = (site: SiteProgress): DnsRecord[] =>
  site.dnsRecords ? (JSON.parse(site.dnsRecords) as DnsRecord[]) : [];

/** This row kind in a tenant's partition (see tenants/tenant-partition.ts). */
declare module '../tenants/tenant-partition.js' {
  interface TenantRowKinds {
    site: SiteProgress;
  }
}
