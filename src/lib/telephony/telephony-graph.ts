import { type GraphClient, GraphError } from '../graph/graph-client.js';
import { retryAfterMs } from '../graph/retry-after.js';

const management = '/admin/teams/telephoneNumberManagement';

/** A number as `numberAssignments` lists it (the fields the outcome reports). */
export interface GraphNumber {
  telephoneNumber: string;
  assignmentTargetId: string | null;
  assignmentStatus?: string;
  assignmentCategory?: string | null;
  activationState?: string;
  locationId?: string | null;
  networkSiteId?: string | null;
  reverseNumberLookupOptions?: string[];
}

/** A user's Teams configuration (the fields the outcome reports). */
export interface GraphTeamsUser {
  id: string;
  isEnterpriseVoiceEnabled?: boolean;
  telephoneNumbers?: { telephoneNumber: string }[];
  effectivePolicyAssignments?: { policyType: string; policyAssignment?: { policyId?: string } }[];
}

export type OperationStatus = 'notStarted' | 'running' | 'succeeded' | 'failed' | 'unknown';

export interface OperationState {
  status: OperationStatus;
  /** Microsoft's words for the number, when it failed. */
  statusDetail?: string;
  /** How long Microsoft asked to wait before reading again (Retry-After), when it did. */
  retryAfterMs?: number;
}

/** A number's order or state change is under way at Microsoft (it must not be ordered again now). */
export const pendingStates = ['assignmentPending', 'updatePending'];

/** The Graph calls of write-back (global service only; permissions in docs/microsoft-facts.md). */
export class TelephonyGraph {
  constructor(
    private readonly graph: GraphClient,
    private readonly token: () => Promise<string>,
  ) {}

  /** The number as the tenant lists it, or undefined when the tenant has no such number. */
  async number(telephoneNumber: string): Promise<GraphNumber | undefined> {
    const filter = encodeURIComponent(`telephoneNumber eq '${telephoneNumber.replaceAll("'", "''")}'`);
    const page = await this.graph.get<{ value: GraphNumber[] }>(
      await this.token(),
      `${management}/numberAssignments?$filter=${filter}`,
    );
    return page.value.find((number) => number.telephoneNumber === telephoneNumber);
  }

  /** The user's Teams configuration, or undefined when Teams does not know the user. */
  async teamsUser(userId: string): Promise<GraphTeamsUser | undefined> {
    try {
      return await this.graph.get<GraphTeamsUser>(
        await this.token(),
        `/admin/teams/userConfigurations/${userId}`,
      );
    } catch (error) {
      if (error instanceof GraphError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Orders an assignment or unassignment (202): the operation's path below the Graph endpoint. A Location that is
   * not on the Graph endpoint is not followed (the token goes to Graph only).
   */
  async order(action: 'assignNumber' | 'unassignNumber', body: Record<string, unknown>): Promise<string> {
    const response = await this.graph.request<unknown>(
      await this.token(),
      'POST',
      `${management}/numberAssignments/${action}`,
      body,
    );
    const location = response.headers.get('location') ?? '';
    const base = this.graph.url('/');
    if (!location.startsWith(base))
      throw new GraphError(
        502,
        'operation_location',
        `Graph answered ${response.status} without an operation to follow.`,
      );
    return `/${location.slice(base.length)}`;
  }

  async update(body: Record<string, unknown>): Promise<void> {
    await this.graph.post(await this.token(), `${management}/numberAssignments/updateNumber`, body);
  }

  /**
   * The operation's state; `unknown` when Microsoft no longer knows it (404). The entity is read bare or inside
   * `value` (the page's example shows it there; OData would not).
   */
  async operation(path: string): Promise<OperationState> {
    try {
      const response = await this.graph.request<Record<string, unknown>>(await this.token(), 'GET', path);
      const body = response.body ?? {};
      const entity = (
        body.value && typeof body.value === 'object' && !Array.isArray(body.value) ? body.value : body
      ) as { status?: string; numbers?: { status?: string; statusDetail?: string }[] };
      const failed = entity.numbers?.find((number) => number.status === 'failed');
      const status = (['notStarted', 'running', 'succeeded', 'failed'] as const).find(
        (known) => known === entity.status,
      );
      const wait = retryAfterMs(response.headers.get('retry-after'));
      return {
        status: status ?? 'running',
        ...(failed?.statusDetail ? { statusDetail: failed.statusDetail } : {}),
        ...(wait ? { retryAfterMs: wait } : {}),
      };
    } catch (error) {
      if (error instanceof GraphError && error.status === 404) return { status: 'unknown' };
      throw error;
    }
  }

  /** The ids of the tenant's policies of a type with this name (none, one, or more). */
  async policyIds(policyType: string, name: string): Promise<string[]> {
    const quote = (text: string) => encodeURIComponent(text.replaceAll("'", "''"));
    const page = await this.graph.get<{ value: { policyId: string }[] }>(
      await this.token(),
      `/admin/teams/policy/getPolicyId(type='${quote(policyType)}',name='${quote(name)}')`,
    );
    return page.value.map((policy) => policy.policyId);
  }

  async changePolicy(
    action: 'assign' | 'unassign',
    entry: { userId: string; policyType: string; policyId?: string },
  ) {
    await this.graph.post(await this.token(), `/admin/teams/policy/userAssignments/${action}`, {
      value: [entry],
    });
  }
}

/** The user's policy id of a type, as Teams reports it (undefined: none shown). */
export function effectivePolicyId(user: GraphTeamsUser | undefined, policyType: string): string | undefined {
  return user?.effectivePolicyAssignments?.find(
    (entry) => entry.policyType.toLowerCase() === policyType.toLowerCase(),
  )?.policyAssignment?.policyId;
}
