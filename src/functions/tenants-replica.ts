import { z } from 'zod';
import { type AppServices, coreEndpoint } from '../app-services.js';
import { TenantOffboarded } from '../lib/offboarding/offboarding-errors.js';
import { offboardingViewSchema, toOffboardingView } from '../lib/offboarding/offboarding-progress.js';
import { vaultRetentionDays } from '../lib/offboarding/tenant-offboarding.js';
import { cursorPattern } from '../lib/replication/change-feed.js';
import { snapshotKinds } from '../lib/replication/replica-snapshot.js';
import { byApiName, type ObjectKind, objectKinds } from '../lib/replication/replicated-kinds.js';
import { isLeaving } from '../lib/tenants/tenant-record.js';

const params = z.object({ tenantId: z.uuid() });
const objectKind = z.enum(objectKinds as [ObjectKind, ...ObjectKind[]]);
const objectId = z
  .string()
  .describe('user/group id, `groupId|memberId` for a membership, the number for a number');
const objectData = z
  .record(z.string(), z.unknown())
  .optional()
  .describe(
    "The object's replicated fields (a user's directory fields, or for `voice` its Teams voice fields; a group's; a number's assignment); none for a membership",
  );

const changeSchema = z.object({
  seq: z.string(),
  kind: objectKind,
  id: objectId,
  op: z.enum(['upsert', 'delete']),
  at: z.iso.datetime(),
  data: objectData.describe('After an upsert: the object’s replicated fields as they now are'),
});

const feedExpired = {
  description:
    'The cursor is before changes the feed no longer keeps (FEED_RETENTION_DAYS), or none was given once the feed was trimmed: read the snapshot the problem document links (`snapshot`), then follow the feed from the cursor it ends with.',
  problemMembers: z.object({
    snapshot: z
      .string()
      .describe('The path of the replica’s snapshot, e.g. `/api/tenants/{tenantId}/replica`'),
    trimmedUpTo: z.iso.datetime().describe('The feed no longer keeps changes stored up to this time'),
  }),
};

const offboarded = {
  description:
    'The tenant is offboarded (`tenant_offboarded`): its replica and change feed are deleted; `offboarding` says what went and what is left to the customer.',
  problemMembers: z.object({ offboarding: offboardingViewSchema.optional() }),
};

/** The tenant whose replica is asked for: known, and not offboarded (whose replica is gone). */
async function replicaTenant(services: AppServices, tenantId: string): Promise<void> {
  const view = await services.registry.view(tenantId);
  if (!isLeaving(view.status)) return;
  const progress = await services.tenantOffboarding.progress(tenantId);
  throw new TenantOffboarded(tenantId, progress && toOffboardingView(progress, vaultRetentionDays));
}

coreEndpoint({
  name: 'tenants-changes',
  method: 'GET',
  route: 'tenants/{tenantId}/changes',
  summary:
    'The change feed of the replica: what changed after `cursor` (oldest first); pass the returned cursor next time',
  tag: 'Replication',
  params,
  query: z
    .object({
      cursor: z.string().regex(cursorPattern, { error: 'must be a cursor returned earlier' }).optional(),
      top: z.coerce.number().int().min(1).max(1000).default(500),
    })
    .strict(),
  responses: {
    200: {
      description: 'Changes and the cursor to continue from.',
      schema: z.object({ value: z.array(changeSchema), cursor: z.string().optional() }),
    },
    404: { description: 'No such tenant.' },
    410: {
      description: `${feedExpired.description} Or: ${offboarded.description}`,
      problemMembers: feedExpired.problemMembers.extend(offboarded.problemMembers.shape),
    },
  },
  handler: async ({ params: { tenantId }, query, services }) => {
    const id = tenantId.toLowerCase();
    await replicaTenant(services, id);
    const value = await services.replica.changes(id, query.cursor, query.top);
    const cursor = value.at(-1)?.seq ?? query.cursor;
    return { status: 200, body: { value, ...(cursor ? { cursor } : {}) } };
  },
});

coreEndpoint({
  name: 'tenants-replica',
  method: 'GET',
  route: 'tenants/{tenantId}/replica',
  summary:
    'A snapshot of the replica as of one feed position, page by page (every kind, or one); the last page’s cursor is the feed position to follow on with',
  tag: 'Replication',
  params,
  query: z
    .object({
      kind: z.enum(Object.keys(snapshotKinds) as [keyof typeof snapshotKinds]).optional(),
      page: z.string().max(4096).optional().describe('The `nextPage` of the page before'),
      top: z.coerce.number().int().min(1).max(1000).default(500),
    })
    .strict(),
  responses: {
    200: {
      description:
        'Objects (a page may hold fewer than `top`, even none, while `nextPage` is given); `cursor` is the feed position the whole snapshot is as of (absent: follow the feed from its start). A change after it is not in the snapshot but in the feed; a removal there may name an object the snapshot did not show.',
      schema: z.object({
        value: z.array(z.object({ kind: objectKind, id: objectId, data: objectData })),
        nextPage: z.string().optional(),
        cursor: z.string().optional(),
      }),
    },
    400: { description: 'A page token this tenant’s snapshot did not return.' },
    404: { description: 'No such tenant.' },
    410: offboarded,
  },
  handler: async ({ params: { tenantId }, query, services }) => {
    const id = tenantId.toLowerCase();
    await replicaTenant(services, id);
    return { status: 200, body: await services.snapshots.page(id, query) };
  },
});

coreEndpoint({
  name: 'tenants-replica-counts',
  method: 'GET',
  route: 'tenants/{tenantId}/replica/counts',
  summary: 'How many objects of each kind the replica holds, as of the feed position a snapshot would take',
  tag: 'Replication',
  params,
  responses: {
    200: {
      description: 'Counts per kind, and the feed position they are as of.',
      schema: z.object({
        ...byApiName(() => z.number().int()),
        cursor: z.string().optional(),
      }),
    },
    404: { description: 'No such tenant.' },
    410: offboarded,
  },
  handler: async ({ params: { tenantId }, services }) => {
    const id = tenantId.toLowerCase();
    await replicaTenant(services, id);
    return { status: 200, body: await services.snapshots.counts(id) };
  },
});
