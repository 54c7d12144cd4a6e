import { z } from 'zod';
import { coreEndpoint } from '../app-services.js';
import { replicationRunViewSchema } from '../lib/replication/replication-run.js';

const params = z.object({ tenantId: z.uuid() });

coreEndpoint({
  name: 'tenants-replicate',
  method: 'POST',
  route: 'tenants/{tenantId}/replicate',
  summary: 'Replicate a tenant now (follow it in replication-runs; replication.completed or .failed follows)',
  tag: 'Replication',
  params,
  responses: {
    202: { description: 'The run, queued.', schema: replicationRunViewSchema },
    404: { description: 'No such tenant.' },
    409: {
      description: 'The tenant is not ready (credentials invalid, required roles missing, offboarded).',
    },
  },
  handler: async ({ params: { tenantId }, services }) => ({
    status: 202,
    body: await services.replicationScheduler.onDemand(tenantId.toLowerCase()),
  }),
});

coreEndpoint({
  name: 'tenants-replication-runs',
  method: 'GET',
  route: 'tenants/{tenantId}/replication-runs',
  summary: 'Replication runs of a tenant, newest first, with live progress of a running one',
  tag: 'Replication',
  params,
  query: z.object({ top: z.coerce.number().int().min(1).max(100).default(20) }).strict(),
  responses: {
    200: { description: 'Runs.', schema: z.object({ value: z.array(replicationRunViewSchema) }) },
    404: { description: 'No such tenant.' },
  },
  handler: async ({ params: { tenantId }, query, services }) => {
    await services.registry.view(tenantId.toLowerCase());
    return {
      status: 200,
      body: { value: await services.replicationScheduler.runs(tenantId.toLowerCase(), query.top) },
    };
  },
});

coreEndpoint({
  name: 'tenants-replication-release',
  method: 'POST',
  route: 'tenants/{tenantId}/replication-runs/{runId}/release',
  summary:
    'Release a run that held removals back (more than REPLICATION_DELETE_THRESHOLD): a run now stores them',
  tag: 'Replication',
  params: z.object({ tenantId: z.uuid(), runId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/) }),
  responses: {
    202: { description: 'The run that releases the hold, queued.', schema: replicationRunViewSchema },
    404: { description: 'No such tenant or run.' },
    409: { description: 'The run holds no removals now (not the tenant’s current hold).' },
  },
  handler: async ({ params: { tenantId, runId }, services }) => ({
    status: 202,
    body: await services.replicationScheduler.release(tenantId.toLowerCase(), runId),
  }),
});
