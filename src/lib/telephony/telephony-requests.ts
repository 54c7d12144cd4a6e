import { monotonicFactory } from 'ulid';
import type { Outbox } from '../events/outbox.js';
import { GraphError } from '../graph/graph-client.js';
import { pacedGraphClient } from '../graph/paced-graph-client.js';
import { ResourceUnitPacer } from '../graph/resource-unit-pacer.js';
import type { AppTokenProvider } from '../identity/app-token-provider.js';
import { CredentialProblem, credentialProblemText } from '../identity/credential-problem.js';
import type { ReplicationRunRecord } from '../replication/replication-run.js';
import { runEnded } from '../replication/replication-run.js';
import type { TenantSecretStore } from '../secrets/tenant-secret-store.js';
import type { SiteRoleCheck } from '../sites/site-roles.js';
import type { Entity, Stored } from '../storage/entity-table.js';
import type { MessageQueue } from '../storage/message-queue.js';
import { EntityExistsError } from '../storage/storage-errors.js';
import { tableFilter } from '../storage/table-filters.js';
import { knownTenant, usableTenant, workingCredential } from '../tenants/tenant-access.js';
import { type TenantTable, tenantRowPrefixes, tenantRows } from '../tenants/tenant-partition.js';
import type { TenantRegistry } from '../tenants/tenant-registry.js';
import { type StepResult, WorkflowRunner } from '../workflows/workflow-runner.js';
import {
  TelephonyRequestConflict,
  TelephonyRequestNotFound,
  WriteBackOff,
  WriteBackUnavailable,
} from './telephony-errors.js';
import {
  effectivePolicyId,
  type GraphNumber,
  type GraphTeamsUser,
  pendingStates,
  TelephonyGraph,
} from './telephony-graph.js';
import { type TelephonyRequestRow, telephonyWorking } from './telephony-request-row.js';
import type {
  NumberRequest,
  PolicyRequest,
  TelephonyRequestView,
  WriteBackSetting,
} from './telephony-schema.js';

const nextSeq = monotonicFactory();

/** One request to advance: a message on the `telephony-requests` queue. */
export interface TelephonyJob {
  tenantId: string;
  requestId: string;
}

export interface TelephonyRequestsDeps {
  leaseTtlMs?: number;
  registry: TenantRegistry;
  tenants: TenantTable;
  outbox: Outbox;
  secrets: TenantSecretStore;
  tokens: AppTokenProvider;
  /** The Graph endpoint: each tenant's calls go through a client paced under its own budget. */
  graphEndpoint: string;
  queue: MessageQueue<TelephonyJob>;
  /** A replication run that reads the tenant after now (see ReplicationScheduler.runAfterWriteBack). */
  runAfterWriteBack: (tenantId: string) => Promise<string | undefined>;
  teamsApis: boolean;
  /** Resource units per 10 s each tenant's write-back stays under (Graph's smallest tier, less a margin). */
  resourceBudget?: number;
  /** Validates the tenant again (its report then lists write-back's permissions, or not). */
  revalidate: (tenantId: string) => Promise<unknown>;
  /** What write-back lacks in the tenant now, and the page that shows the customer's admin. */
  guidance: Pick<SiteRoleCheck, 'missing' | 'guidanceUrl'>;
}

export type TelephonySubmission = { outcome: 'accepted' | 'unchanged'; view: TelephonyRequestView };

type Row = Stored<TelephonyRequestRow>;
type Step = StepResult<TelephonyRequestRow>;

/** How long Microsoft's operation may run before the request looks at the number and ends on what it finds. */
const operationHorizonMs = 60 * 60_000;
/** How long a policy may take to show on the user before the request ends without seeing it. */
const policyHorizonMs = 10 * 60_000;
/** How long the request waits for the replication run that brings the outcome to the change feed. */
const refreshHorizonMs = 30 * 60_000;
/** Reads of an operation, an outcome or a run: 1 s, then half as long again each time, at most a minute apart. */
const pollMs = (polls: number) => Math.min(1_000 * 1.5 ** polls, 60_000);

/**
 * Write-back: the core's requests to assign, unassign or update a Direct Routing number, and to assign or unassign
 * a Teams policy, through Graph. A request is answered at once and worked as a durable workflow on the runner
 * (`telephony|{requestId}`, queue `telephony-requests`): wait for earlier requests on the same number or user, send
 * (after reading what Microsoft holds now, so a request sent before a crash is not sent again), follow Microsoft's
 * operation to its end, read the outcome, and wait for a replication run to bring it to the change feed; then one
 * event, telephony.request_succeeded or telephony.request_failed.
 */
export class TelephonyRequests {
  readonly runner: WorkflowRunner<TelephonyRequestRow, TelephonyJob>;
  private readonly clients = new Map<string, ReturnType<typeof pacedGraphClient>>();

  constructor(private readonly deps: TelephonyRequestsDeps) {
    this.runner = new WorkflowRunner<TelephonyRequestRow, TelephonyJob>(
      {
        name: 'telephony',
        keys: ({ tenantId, requestId }) => ({
          partition: tenantId,
          rowKey: tenantRows.telephony(requestId),
          leaseRowKey: tenantRows.telephonyLease(requestId),
        }),
        jobOf: (tenantId, row) => ({ tenantId, requestId: row.requestId }),
        rowPrefix: tenantRowPrefixes.telephony,
        working: telephonyWorking,
        step: (row, now) => this.step(row, now),
        leaseTtlMs: deps.leaseTtlMs ?? 30_000,
        sweepAfterMs: 5 * 60_000,
      },
      deps.queue,
      { table: deps.tenants, outbox: deps.outbox },
    );
  }

  /**
   * Turns write-back on or off for the tenant. On: the validation report asks for its permissions from now on, and
   * the answer says which the customer's admin must still grant (with the page that shows them how).
   */
  async setWriteBack(tenantId: string, enabled: boolean, now = new Date()): Promise<WriteBackSetting> {
    if (enabled && !this.deps.teamsApis) throw new WriteBackUnavailable();
    await knownTenant(this.deps.registry, tenantId);
    await this.deps.registry.setWriteBack(tenantId, enabled, now);
    await this.deps.revalidate(tenantId).catch(() => undefined);
    if (!enabled) return { tenantId, writeBack: false, missingPermissions: [] };
    await usableTenant(this.deps.registry, tenantId);
    const missing = await this.deps.guidance.missing(tenantId, 'write_back');
    return {
      tenantId,
      writeBack: true,
      missingPermissions: missing.permissions,
      ...(missing.permissions.length
        ? { guidanceUrl: await this.deps.guidance.guidanceUrl(tenantId, 'write_back', now) }
        : {}),
    };
  }

  submitNumber(tenantId: string, request: NumberRequest, now = new Date()): Promise<TelephonySubmission> {
    const { telephoneNumber } = request;
    const userId = request.action === 'assign' ? request.userId : undefined;
    return this.submit(tenantId, 'number', request, { telephoneNumber, ...(userId ? { userId } : {}) }, now);
  }

  submitPolicy(tenantId: string, request: PolicyRequest, now = new Date()): Promise<TelephonySubmission> {
    const { userId, policyType } = request;
    const policyId = request.action === 'assign' ? request.policyId : undefined;
    return this.submit(
      tenantId,
      'policy',
      request,
      { userId, policyType, ...(policyId ? { policyId } : {}) },
      now,
    );
  }

  async view(tenantId: string, requestId: string): Promise<TelephonyRequestView> {
    await knownTenant(this.deps.registry, tenantId);
    const row = await this.deps.tenants.get(tenantId, tenantRows.telephony(requestId));
    if (!row) throw new TelephonyRequestNotFound(requestId);
    return viewOf(tenantId, row.entity);
  }

  /** The tenant's requests, newest first; only those still under way when `working`. */
  async list(
    tenantId: string,
    options: { working?: boolean; top?: number } = {},
  ): Promise<TelephonyRequestView[]> {
    await knownTenant(this.deps.registry, tenantId);
    const views: TelephonyRequestView[] = [];
    for await (const { entity } of this.deps.tenants.queryPrefix(tenantId, tenantRowPrefixes.telephony))
      if (!options.working || telephonyWorking(entity)) views.push(viewOf(tenantId, entity));
    return views.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, options.top ?? 100);
  }

  private async submit(
    tenantId: string,
    kind: TelephonyRequestRow['kind'],
    request: NumberRequest | PolicyRequest,
    subject: Partial<TelephonyRequestRow>,
    now: Date,
  ): Promise<TelephonySubmission> {
    const fields = {
      kind,
      action: request.action,
      requestId: request.requestId,
      request: JSON.stringify(request),
      ...subject,
    };
    if (!this.deps.teamsApis) throw new WriteBackUnavailable();
    const tenant = await usableTenant(this.deps.registry, tenantId);
    if (!tenant.entity.writeBack) throw new WriteBackOff();
    const key = tenantRows.telephony(fields.requestId);
    const existing = await this.deps.tenants.get(tenantId, key);
    if (existing) return this.again(tenantId, existing.entity, fields.request);
    const at = now.toISOString();
    const row: TelephonyRequestRow = {
      ...fields,
      state: 'queued',
      seq: nextSeq(now.getTime()),
      createdAt: at,
      updatedAt: at,
    };
    try {
      await this.deps.tenants.insert({ partitionKey: tenantId, rowKey: key, ...row });
    } catch (error) {
      // The same request at the same moment (a retry, a double click): the one that lost answers the other's row.
      if (!(error instanceof EntityExistsError)) throw error;
      const raced = await this.deps.tenants.get(tenantId, key);
      if (!raced) throw error;
      return this.again(tenantId, raced.entity, fields.request);
    }
    await this.runner.enqueue({ tenantId, requestId: row.requestId });
    return { outcome: 'accepted', view: viewOf(tenantId, row) };
  }

  /**
   * The same request again: where it is. One still under way is nudged (its message may have died with a host
   * before it was sent); a nudge that finds a worker on it ends, so retries never multiply the work.
   */
  private async again(
    tenantId: string,
    row: TelephonyRequestRow,
    request: string,
  ): Promise<TelephonySubmission> {
    if (row.request !== request) throw new TelephonyRequestConflict(row.requestId);
    if (telephonyWorking(row)) await this.runner.enqueue({ tenantId, requestId: row.requestId });
    return { outcome: 'unchanged', view: viewOf(tenantId, row) };
  }

  private async step(stored: Row, now: Date): Promise<Step> {
    const tenantId = stored.entity.partitionKey;
    const row = stored.entity;
    const graph = new TelephonyGraph(this.client(tenantId), () => this.token(tenantId));
    try {
      switch (row.state) {
        case 'queued':
          return await this.queued(tenantId, row, now);
        case 'resolving':
          return await this.resolve(tenantId, row, graph, now);
        case 'sending':
          return row.kind === 'number'
            ? await this.sendNumber(tenantId, row, graph, now)
            : await this.sendPolicy(row, graph, now);
        case 'following':
          return await this.follow(tenantId, row, graph, now);
        case 'confirming':
          return await this.confirm(tenantId, row, graph, now);
        default:
          return await this.refresh(tenantId, row, now);
      }
    } catch (error) {
      // Microsoft's word against the request (a refusal, not a fault that passes): it fails with what was said.
      if (error instanceof GraphError && !error.transient)
        return this.fail(tenantId, row, now, `Microsoft refused the request: ${error.message}`);
      if (error instanceof CredentialProblem)
        return this.fail(
          tenantId,
          row,
          now,
          `${credentialProblemText[error.code]} Reconnect the tenant, then send the request again.`,
        );
      throw error;
    }
  }

  /** Waits for the requests taken earlier on the same number or user; then the first step of its kind. */
  private async queued(tenantId: string, row: TelephonyRequestRow, now: Date): Promise<Step> {
    const filter = tableFilter.and(
      tableFilter.partition(tenantId),
      tableFilter.rowKeysStartingWith(tenantRowPrefixes.telephony),
      tableFilter.property('state', 'ne', 'succeeded'),
      tableFilter.property('state', 'ne', 'failed'),
      tableFilter.property('seq', 'lt', row.seq),
    );
    for await (const { entity } of this.deps.tenants.query<Entity<TelephonyRequestRow>>(filter, [
      'requestId',
      'telephoneNumber',
      'userId',
    ])) {
      const sameNumber = row.telephoneNumber !== undefined && entity.telephoneNumber === row.telephoneNumber;
      const sameUser = row.userId !== undefined && entity.userId === row.userId;
      if (sameNumber || sameUser)
        return this.later(
          row,
          now,
          `waits for request ${entity.requestId} on the same ${sameNumber ? 'number' : 'user'}`,
        );
    }
    const needsLookup = row.kind === 'policy' && row.action === 'assign' && !row.policyId;
    return { next: { state: needsLookup ? 'resolving' : 'sending', polls: 0 } };
  }

  private async resolve(
    tenantId: string,
    row: TelephonyRequestRow,
    graph: TelephonyGraph,
    now: Date,
  ): Promise<Step> {
    const request = JSON.parse(row.request) as PolicyRequest & { policyName?: string };
    const name = request.policyName ?? '';
    const ids = await graph.policyIds(row.policyType ?? '', name);
    if (ids.length === 1) return { next: { state: 'sending', policyId: ids[0] } };
    return this.fail(
      tenantId,
      row,
      now,
      ids.length === 0
        ? `The tenant has no ${row.policyType} named ${name}.`
        : `The tenant has ${ids.length} ${row.policyType} policies named ${name}: name it by policyId instead.`,
    );
  }

  /** Reads the number first: an order under way is waited for, one that took effect already is not sent again. */
  private async sendNumber(
    tenantId: string,
    row: TelephonyRequestRow,
    graph: TelephonyGraph,
    now: Date,
  ): Promise<Step> {
    const request = JSON.parse(row.request) as NumberRequest;
    const number = await graph.number(request.telephoneNumber);
    if (number && pendingStates.includes(number.activationState ?? '')) {
      if (now.getTime() - Date.parse(row.createdAt) <= operationHorizonMs)
        return this.later(row, now, 'an order of this number is under way at Microsoft');
      return this.fail(
        tenantId,
        row,
        now,
        `${request.telephoneNumber} has had an order under way at Microsoft for over ${operationHorizonMs / 60_000} minutes; send the request again once it has ended.`,
      );
    }
    if (number && numberDone(request, number)) return { next: { state: 'confirming', polls: 0 } };
    if (request.action === 'update') {
      await graph.update(updateBody(request));
      return { next: { state: 'confirming', polls: 0 } };
    }
    const operationPath =
      request.action === 'assign'
        ? await graph.order('assignNumber', {
            telephoneNumber: request.telephoneNumber,
            assignmentTargetId: request.userId,
            numberType: request.numberType,
            ...(request.assignmentCategory ? { assignmentCategory: request.assignmentCategory } : {}),
            ...(request.locationId ? { locationId: request.locationId } : {}),
          })
        : await graph.order('unassignNumber', {
            telephoneNumber: request.telephoneNumber,
            numberType: request.numberType,
          });
    return {
      next: {
        state: 'following',
        operationPath,
        followingSince: now.toISOString(),
        polls: 0,
        nextAttemptAt: new Date(now.getTime() + pollMs(0)).toISOString(),
      },
    };
  }

  private async sendPolicy(row: TelephonyRequestRow, graph: TelephonyGraph, now: Date): Promise<Step> {
    const userId = row.userId ?? '';
    const policyType = row.policyType ?? '';
    const current = effectivePolicyId(await graph.teamsUser(userId), policyType);
    if (row.action === 'assign') {
      if (current !== row.policyId)
        await graph.changePolicy('assign', { userId, policyType, policyId: row.policyId ?? '' });
    } else if (current !== undefined && current !== 'Global') {
      await graph.changePolicy('unassign', { userId, policyType });
    }
    return { next: { state: 'confirming', polls: 0, followingSince: now.toISOString() } };
  }

  /** Reads Microsoft's operation until it ends (as often as it asks, else 1 s growing by half), up to the horizon. */
  private async follow(
    tenantId: string,
    row: TelephonyRequestRow,
    graph: TelephonyGraph,
    now: Date,
  ): Promise<Step> {
    const request = JSON.parse(row.request) as NumberRequest;
    const operation = await graph.operation(row.operationPath ?? '');
    if (operation.status === 'succeeded') return { next: { state: 'confirming', polls: 0 } };
    const overdue = now.getTime() - Date.parse(row.followingSince ?? row.updatedAt) > operationHorizonMs;
    if (operation.status === 'notStarted' || operation.status === 'running') {
      if (!overdue) return this.later(row, now, undefined, operation.retryAfterMs);
    }
    // Failed, unknown to Microsoft, or past the horizon: the number tells how it ended.
    const number = await graph.number(request.telephoneNumber);
    if (number && numberDone(request, number)) return { next: { state: 'confirming', polls: 0 } };
    if (number && pendingStates.includes(number.activationState ?? '') && !overdue)
      return this.later(row, now);
    const reason =
      operation.status === 'failed'
        ? `Microsoft could not ${request.action} ${request.telephoneNumber}${operation.statusDetail ? `: ${operation.statusDetail}` : '.'}`
        : operation.status === 'unknown'
          ? `Microsoft no longer knows the order for ${request.telephoneNumber}, and the number does not show it done.`
          : `Microsoft did not finish the order for ${request.telephoneNumber} within ${operationHorizonMs / 60_000} minutes; the number does not show it done.`;
    return this.fail(tenantId, row, now, reason, operation.statusDetail);
  }

  /** Reads the outcome from Microsoft, then has a replication run bring it to the change feed. */
  private async confirm(
    tenantId: string,
    row: TelephonyRequestRow,
    graph: TelephonyGraph,
    now: Date,
  ): Promise<Step> {
    const outcome: Record<string, unknown> = {};
    let user: GraphTeamsUser | undefined;
    if (row.kind === 'number') {
      const request = JSON.parse(row.request) as NumberRequest;
      const number = await graph.number(request.telephoneNumber);
      if (number) outcome.number = numberOutcome(number);
      if (request.action === 'assign') user = await graph.teamsUser(request.userId);
    } else {
      user = await graph.teamsUser(row.userId ?? '');
      const effective = effectivePolicyId(user, row.policyType ?? '');
      const shown =
        row.action === 'assign'
          ? effective === row.policyId
          : effective === undefined || effective === 'Global';
      const since = Date.parse(row.followingSince ?? row.updatedAt);
      if (!shown && now.getTime() - since < policyHorizonMs) return this.later(row, now);
      if (effective !== undefined) outcome.effectivePolicyId = effective;
      if (!shown) outcome.policyShown = false;
    }
    if (user?.isEnterpriseVoiceEnabled !== undefined)
      outcome.enterpriseVoiceEnabled = user.isEnterpriseVoiceEnabled;
    const refreshRunId = await this.deps.runAfterWriteBack(tenantId);
    return {
      next: {
        state: 'refreshing',
        outcome: JSON.stringify(outcome),
        ...(refreshRunId ? { refreshRunId } : {}),
        refreshingSince: now.toISOString(),
        polls: 0,
      },
    };
  }

  /** Ends once the replication run has read the tenant (or could not, or took too long: said in the event). */
  private async refresh(tenantId: string, row: TelephonyRequestRow, now: Date): Promise<Step> {
    let replicaUpdated = false;
    if (row.refreshRunId) {
      const run = (await this.deps.tenants.get(tenantId, tenantRows.run(row.refreshRunId)))?.entity as
        | ReplicationRunRecord
        | undefined;
      const overdue = now.getTime() - Date.parse(row.refreshingSince ?? row.updatedAt) > refreshHorizonMs;
      if (run && !runEnded(run.status) && !overdue) return this.later(row, now);
      replicaUpdated = run?.status === 'completed' || run?.status === 'held';
    }
    const outcome = { ...(row.outcome ? JSON.parse(row.outcome) : {}), replicaUpdated };
    return {
      next: { state: 'succeeded', outcome: JSON.stringify(outcome), finishedAt: now.toISOString() },
      events: [
        {
          type: 'telephony.request_succeeded',
          data: {
            ...eventSubject(tenantId, row),
            ...(outcome.enterpriseVoiceEnabled !== undefined
              ? { enterpriseVoiceEnabled: outcome.enterpriseVoiceEnabled }
              : {}),
            ...(outcome.effectivePolicyId !== undefined
              ? { effectivePolicyId: outcome.effectivePolicyId }
              : {}),
            ...(outcome.policyShown === false ? { policyShown: false } : {}),
            replicaUpdated,
          },
        },
      ],
    };
  }

  private fail(
    tenantId: string,
    row: TelephonyRequestRow,
    now: Date,
    failure: string,
    statusDetail?: string,
  ): Step {
    return {
      next: {
        state: 'failed',
        failure,
        ...(statusDetail ? { statusDetail } : {}),
        finishedAt: now.toISOString(),
      },
      events: [
        {
          type: 'telephony.request_failed',
          data: {
            ...eventSubject(tenantId, row),
            reason: failure,
            ...(statusDetail ? { statusDetail } : {}),
          },
        },
      ],
    };
  }

  /** The same state again, read later (Retry-After when Microsoft asked, else 1 s growing by half). */
  private later(row: TelephonyRequestRow, now: Date, said?: string, retryAfterMs?: number): Step {
    const polls = (row.polls ?? 0) + 1;
    const wait = retryAfterMs ?? pollMs(polls);
    return {
      next: {
        polls,
        nextAttemptAt: new Date(now.getTime() + wait).toISOString(),
        ...(said ? { lastError: said } : {}),
      },
    };
  }

  private client(tenantId: string) {
    let client = this.clients.get(tenantId);
    if (!client) {
      client = pacedGraphClient(this.deps.graphEndpoint, new ResourceUnitPacer(this.deps.resourceBudget));
      this.clients.set(tenantId, client);
    }
    return client.graph;
  }

  private async token(tenantId: string): Promise<string> {
    const tenant = await this.deps.registry.get(tenantId);
    const credential = await workingCredential(this.deps.secrets, tenantId, tenant?.entity).catch(() => {
      throw new CredentialProblem('invalid_secret');
    });
    return (await this.deps.tokens.token(credential)).accessToken;
  }
}

/** Whether the number shows what the request asks for already. */
function numberDone(request: NumberRequest, number: GraphNumber): boolean {
  if (request.action === 'assign')
    return (
      number.assignmentTargetId === request.userId &&
      (request.assignmentCategory === undefined || number.assignmentCategory === request.assignmentCategory)
    );
  if (request.action === 'unassign') return !number.assignmentTargetId;
  const same = (wanted: string | undefined, has: string | null | undefined) =>
    wanted === undefined || (wanted || null) === (has ?? null);
  return (
    same(request.locationId, number.locationId) &&
    same(request.networkSiteId, number.networkSiteId) &&
    (request.reverseNumberLookupOptions === undefined ||
      JSON.stringify([...request.reverseNumberLookupOptions].sort()) ===
        JSON.stringify([...(number.reverseNumberLookupOptions ?? [])].sort()))
  );
}

function updateBody(request: Extract<NumberRequest, { action: 'update' }>): Record<string, unknown> {
  return {
    telephoneNumber: request.telephoneNumber,
    ...(request.locationId !== undefined ? { locationId: request.locationId } : {}),
    ...(request.networkSiteId !== undefined ? { networkSiteId: request.networkSiteId } : {}),
    ...(request.reverseNumberLookupOptions !== undefined
      ? { reverseNumberLookupOptions: request.reverseNumberLookupOptions }
      : {}),
  };
}

const numberOutcome = (number: GraphNumber) => ({
  telephoneNumber: number.telephoneNumber,
  assignmentTargetId: number.assignmentTargetId ?? null,
  ...(number.assignmentStatus ? { assignmentStatus: number.assignmentStatus } : {}),
  ...(number.activationState ? { activationState: number.activationState } : {}),
  locationId: number.locationId ?? null,
});

/** What a request is about, as its view and its events name it. */
function eventSubject(tenantId: string, row: TelephonyRequestRow) {
  return {
    tenantId,
    requestId: row.requestId,
    kind: row.kind,
    action: row.action,
    ...(row.telephoneNumber ? { telephoneNumber: row.telephoneNumber } : {}),
    ...(row.userId ? { userId: row.userId } : {}),
    ...(row.policyType ? { policyType: row.policyType } : {}),
    ...(row.policyId ? { policyId: row.policyId } : {}),
  };
}

export function viewOf(tenantId: string, row: TelephonyRequestRow): TelephonyRequestView {
  const request = JSON.parse(row.request) as { policyName?: string };
  return {
    ...eventSubject(tenantId, row),
    state: row.state,
    ...(request.policyName ? { policyName: request.policyName } : {}),
    ...(row.outcome ? { outcome: JSON.parse(row.outcome) } : {}),
    ...(row.statusDetail ? { statusDetail: row.statusDetail } : {}),
    ...(row.failure ? { failure: row.failure } : {}),
    ...(row.lastError ? { lastError: row.lastError } : {}),
    ...(row.nextAttemptAt ? { nextAttemptAt: row.nextAttemptAt } : {}),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    ...(row.finishedAt ? { finishedAt: row.finishedAt } : {}),
  };
}
