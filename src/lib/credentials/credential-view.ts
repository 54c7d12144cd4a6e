import { z } from 'zod';
import { ConnectorError } from '../errors/connector-error.js';
import { type TenantCredential, tenantSecretName } from '../secrets/tenant-secret-store.js';
import { ServiceNeedsCustomer } from '../services/service-errors.js';
import type { TenantService } from '../tenants/tenant-record.js';
import type { CredentialRotation } from './credential-rotation.js';
import { rotationRunning } from './rotation-progress.js';
import { type SelfManagedAppDeps, selfManagedApp } from './self-managed-app.js';

export const serviceCredentialSchema = z.object({
  serviceId: z.string(),
  kind: z
    .enum(['secret', 'certificate'])
    .optional()
    .describe(
      'secret: a client secret; certificate: a Key Vault certificate whose key never leaves the vault (none: nothing stored)',
    ),
  expiresAt: z.iso
    .datetime()
    .optional()
    .describe('When the service’s secret or certificate expires (none: nothing stored)'),
  daysLeft: z.number().int().optional(),
  vault: z
    .object({
      secretName: z
        .string()
        .describe('The Key Vault secret that holds it (for a certificate: which certificate)'),
      version: z.string().optional().describe('The version of that secret in use'),
      certificateName: z.string().optional(),
      keyVersion: z.string().optional().describe('For a certificate: the version of its key that signs'),
      keyId: z.string().optional().describe('The app registration’s password or key credential it is'),
    })
    .optional()
    .describe('Where Key Vault holds the credential, never its value: so each service’s own can be checked'),
  renewal: z
    .enum(['connector', 'customer'])
    .describe(
      'connector: rotated automatically before it expires; customer: the customer’s admin must renew it',
    ),
  problem: z
    .string()
    .optional()
    .describe('Why the connector cannot use the credential now, and what the customer’s admin must do'),
  rotation: z
    .object({
      state: z.enum(['started', 'staged', 'proven', 'switched', 'done', 'failed']),
      reason: z.enum(['requested', 'expiring']),
      startedAt: z.iso.datetime(),
      finishedAt: z.iso.datetime().optional(),
      finishesNotBefore: z.iso
        .datetime()
        .optional()
        .describe(
          'For a rotation under way: the old secret stays until no instance can still hold it (SECRET_CACHE_SECONDS and a margin after the switch), so credentials.rotated comes no earlier than this',
        ),
      failure: z.string().optional(),
    })
    .optional()
    .describe('The rotation under way, or the last one'),
});
export type ServiceCredentialView = z.infer<typeof serviceCredentialSchema>;

/** Each service's credential as the tenant's view shows it: its kind, expiry, who renews it, its rotation. */
export async function serviceCredentials(
  deps: SelfManagedAppDeps & { rotation: CredentialRotation },
  tenantId: string,
  services: readonly TenantService[],
  now = new Date(),
): Promise<ServiceCredentialView[]> {
  let problem: string | undefined;
  const renewal = await selfManagedApp(deps, tenantId, services[0]?.id ?? '').then(
    () => 'connector' as const,
    (error: unknown) => {
      if (!(error instanceof ConnectorError)) throw error;
      // That only the customer renews it is the normal case for some tenants, not a problem.
      if (!(error instanceof ServiceNeedsCustomer)) problem = error.message;
      return 'customer' as const;
    },
  );
  return Promise.all(
    services.map(async (service) => {
      const [credential, rotation] = await Promise.all([
        deps.secrets.get(tenantId, service.id),
        deps.rotation.progress(tenantId, service.id),
      ]);
      return {
        serviceId: service.id,
        ...(credential
          ? {
              kind: credential.certificate ? ('certificate' as const) : ('secret' as const),
              expiresAt: credential.expiresOn.toISOString(),
              daysLeft: Math.floor((credential.expiresOn.getTime() - now.getTime()) / 86_400_000),
              vault: vaultEntryOf(credential),
            }
          : {}),
        renewal,
        ...(problem ? { problem } : {}),
        ...(rotation
          ? {
              rotation: {
                state: rotation.state,
                reason: rotation.reason,
                startedAt: rotation.startedAt,
                ...(rotation.finishedAt && !rotationRunning(rotation)
                  ? { finishedAt: rotation.finishedAt }
                  : {}),
                ...(rotationRunning(rotation)
                  ? { finishesNotBefore: deps.rotation.finishesNotBefore(rotation, now).toISOString() }
                  : {}),
                ...(rotation.failure ? { failure: rotation.failure } : {}),
              },
            }
          : {}),
      };
    }),
  );
}

/** Where Key Vault holds a service's credential: names and versions, never a value. */
function vaultEntryOf(credential: TenantCredential): ServiceCredentialView['vault'] {
  const key = credential.certificate?.keyUrl.match(/\/keys\/([^/]+)\/([^/?]+)/);
  return {
    secretName: tenantSecretName(credential.tenantId, credential.serviceId),
    ...(credential.vaultVersion ? { version: credential.vaultVersion } : {}),
    ...(key ? { certificateName: key[1], keyVersion: key[2] } : {}),
    ...(credential.keyId ? { keyId: credential.keyId } : {}),
  };
}
