import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { dependencies } from '../lib/dependencies.js';
import { checkHealth } from '../lib/health/check-health.js';
import { dependencyProbes } from '../lib/health/dependency-probes.js';
import { functions } from '../lib/hosting/function-registry.js';
import { invocationLogger } from '../lib/hosting/logger.js';
import { version } from '../lib/version.js';

/** GET /api/health — the version and whether Table Storage, Queues and Key Vault answer. */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const report = await checkHealth(dependencyProbes(dependencies()), version);
  if (report.status !== 'healthy')
    invocationLogger(context).warn(`health check failed: ${JSON.stringify(report.checks)}`);
  return {
    status: report.status === 'healthy' ? 200 : 503,
    headers: { 'Cache-Control': 'no-store' },
    jsonBody: report,
  };
}

functions.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });
