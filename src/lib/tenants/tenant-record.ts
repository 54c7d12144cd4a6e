import { z } from 'zod';
import type { ValidationReport, Verdict } from '../validation/validate-registration.js';

/**
 * A tenant is recorded once onboarding has finished (until then its progress lives in its invitation and its
 * provisioning row), so there is no status for the steps before.
 */
export const tenantStatuses = [
  'active',
  'action_required',
  'credentials_invalid',
  'offboarding',
  'offboarded',
] as const;
export type TenantStatus = (typeof tenantStatuses)[number];

/** The tenant row of its partition (see tenant-partition.ts), beside its outbox rows. */
export interface TenantRecord {
  status: TenantStatus;
  invitationId: string;
  method: 'automatic' | 'manual';
  clientId: string;
  servicePrincipalId: string;
  customer: string;
  services: string;
  licenceType: string;
  automaticDns: boolean;
  /** Automatic DNS has work to do (onboarding, or a new site): its roles are needed now. */
  dnsWorkPending: boolean;
  /** The core assigns numbers and policies through the connector: the app needs the write permissions. */
  writeBack?: boolean;
  /** The last reconnect: when, and through which invitation (a replayed completion changes nothing). */
  reconnectedAt?: string;
  reconnectInvitationId?: string;
  verdict?: Verdict;
  validation?: string;
  validatedAt?: string;
  createdAt: string;
  updatedAt: string;
  statusChangedAt: string;
}

/** Offboarded, or on its way out: nothing new may start for it. */
export const isLeaving = (status: TenantStatus): boolean =>
  status === 'offboarding' || status === 'offboarded';

/** The status a validation verdict leads to. */
export const statusForVerdict = (verdict: Verdict): TenantStatus =>
  verdict === 'ready' ? 'active' : 'action_required';

export const tenantViewSchema = z.object({
  tenantId: z.string(),
  status: z.enum(tenantStatuses),
  invitationId: z.string(),
  method: z.enum(['automatic', 'manual']),
  clientId: z.string(),
  customer: z.object({ reference: z.string(), name: z.string() }),
  services: z.array(z.object({ id: z.string(), name: z.string(), licenceType: z.string().optional() })),
  licenceType: z.string(),
  automaticDns: z.boolean(),
  dnsWorkPending: z
    .boolean()
    .describe('A site is under way: Domain Name Administrator and User Administrator are needed now'),
  writeBack: z
    .boolean()
    .describe(
      'The core assigns numbers and Teams policies through the connector (its permissions are needed)',
    ),
  verdict: z.enum(['ready', 'action_required', 'blocked']).optional(),
  validatedAt: z.iso.datetime().optional(),
  reconnectedAt: z.iso.datetime().optional().describe('When a reconnect last replaced its credentials'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  statusChangedAt: z.iso.datetime(),
});
export type TenantView = z.infer<typeof tenantViewSchema>;

export function toTenantView(tenantId: string, record: TenantRecord): TenantView {
  return {
    tenantId,
    status: record.status,
    invitationId: record.invitationId,
    method: record.method,
    clientId: record.clientId,
    customer: JSON.parse(record.customer),
    services: JSON.parse(record.services),
    licenceType: record.licenceType,
    automaticDns: record.automaticDns,
    dnsWorkPending: record.dnsWorkPending,
    writeBack: record.writeBack ?? false,
    ...(record.verdict ? { verdict: record.verdict } : {}),
    ...(record.validatedAt ? { validatedAt: record.validatedAt } : {}),
    ...(record.reconnectedAt ? { reconnectedAt: record.reconnectedAt } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    statusChangedAt: record.statusChangedAt,
  };
}

/** A service as the tenant row lists it: onboarding's have the tenant's licence type, later ones their own. */
export interface TenantService {
  id: string;
  name: string;
  licenceType?: string;
}

export const servicesOf = (record: TenantRecord): TenantService[] => JSON.parse(record.services);

export function lastReport(record: TenantRecord): ValidationReport | undefined {
  return record.validation ? (JSON.parse(record.validation) as ValidationReport) : undefined;
}
