import type { AppServices } from '../app-services.js';
import { CredentialProblem } from '../identity/credential-problem.js';
import { probeRegistration } from '../onboarding/probe-registration.js';
import { type ValidationReport, validateRegistration } from '../validation/validate-registration.js';
import { TenantNotFound } from './tenant-errors.js';
import type { TenantView } from './tenant-record.js';

export type Revalidation =
  | { ok: true; tenant: TenantView; report: ValidationReport }
  | { ok: false; tenant: TenantView; problem: CredentialProblem };

/**
 * Validates a registered tenant again with its stored credentials: a fresh token (its `roles`), the app's
 * directory roles, the report, and the registry updated (an event when the verdict changes). Credentials that no
 * longer work mark the tenant and tell the core once.
 */
export async function revalidateTenant(app: AppServices, tenantId: string): Promise<Revalidation> {
  const stored = await app.registry.get(tenantId);
  if (!stored) throw new TenantNotFound(tenantId);
  const services = JSON.parse(stored.entity.services) as { id: string }[];
  const serviceId = services[0]?.id ?? '';
  const credential = await app.tenantSecrets.get(tenantId, serviceId);
  try {
    if (!credential) throw new CredentialProblem('invalid_secret');
    const facts = await probeRegistration(
      app.tokens,
      app.graph,
      { tenantId, clientId: credential.clientId, secret: credential.secret },
      { fresh: true },
    );
    const report = validateRegistration({
      automaticDns: stored.entity.automaticDns,
      dnsWorkPending: stored.entity.dnsWorkPending,
      appRoleIds: facts.appRoleIds,
      grantedPermissions: facts.grantedPermissions,
    });
    return { ok: true, tenant: await app.registry.recordValidation(tenantId, report), report };
  } catch (error) {
    if (!(error instanceof CredentialProblem)) throw error;
    await app.registry.markCredentialsInvalid(tenantId, error.code, serviceId);
    return { ok: false, tenant: await app.registry.view(tenantId), problem: error };
  }
}
