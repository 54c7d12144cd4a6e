/**
 * Page sizes. Graph chooses delta page sizes itself and does not document them; these defaults follow what
 * it is seen to do and are settings so tests can force many pages.
 */
export interface GraphConfig {
  usersDeltaPageSize: number;
  groupsDeltaPageSize: number;
  /** How many `members@delta` entries one group entry carries before the group appears again on a later page. */
  membersPerDeltaEntry: number;
  listPageSize: number;
  listMaxPageSize: number;
  teamsConfigurationsPageSize: number;
  /**
   * Whether Teams configuration pages lead on with a next link (Graph's paging); Microsoft documents no
   * continuation here, so false makes the list end, unannounced, after its first page.
   */
  teamsConfigurationsNextLink: boolean;
  /** The default `$top` of number assignments (documented: 500; at most 1,000). */
  numberAssignmentsPageSize: number;
  /** Whether number assignments pages carry a next link: Microsoft documents none. */
  numberAssignmentsNextLink: boolean;
  /**
   * How long an `assignNumber` or `unassignNumber` order takes: `notStarted` for its first fifth, then `running`,
   * then `succeeded` or `failed` (Microsoft documents the states, not how long they last).
   */
  numberOperationMs: number;
  /**
   * Whether the operation's GET answers the entity inside `value`, as the v1.0 page's example shows, rather than
   * bare as OData would (**both ways**: the connector reads either).
   */
  numberOperationWrapped: boolean;
  /** Whether a number assigned through Graph turns Enterprise Voice on, as `Set-CsPhoneNumberAssignment` does (UNCONFIRMED for Graph). */
  assignEnablesEnterpriseVoice: boolean;
  /** How long a policy assigned through Graph takes to show in the user's `effectivePolicyAssignments`. */
  policyPropagationMs: number;
  /** Delta tokens for directory objects live about 7 days. */
  deltaTokenLifetimeMs: number;
  /**
   * How long a new service principal stays unknown to writes that refer to it (owners, app role and directory
   * role assignments): Entra's replicas take seconds to learn of it. 0 turns the delay off.
   */
  directoryReplicationMs: number;
  /**
   * The global service has the Teams telephony endpoints; a national cloud's Graph (US Government, DoD, China)
   * has neither, and answers their paths as any unknown segment.
   */
  teamsApis: boolean;
  /** Whether a full (initial) delta round lists soft-deleted objects as `@removed` too, as Graph may. */
  initialRoundRemovals: boolean;
  /** How long a published TXT record takes to be seen by domain verification (public DNS propagation). */
  dnsPropagationMs: number;
  /**
   * How long after a licence with Teams Phone (service plan MCOEV) the user's `MicrosoftCommunicationsOnline`
   * provisioned plan stays `PendingInput` before it turns `Success` (Microsoft: up to 24 hours).
   */
  teamsProvisioningMs: number;
  /**
   * How long Graph takes to answer each request, give or take `latencyJitter` of it (a share, spread evenly):
   * a round trip to Microsoft from an Azure region is a few hundred milliseconds a page. 0 answers at once.
   */
  latencyMs: number;
  latencyJitter: number;
  /** How long change notifications are gathered before one POST carries them (Microsoft batches, unsaid how long). */
  notificationBatchMs: number;
  /**
   * Deliveries of one batch before it is dropped (Microsoft retries for up to 4 hours), spaced from
   * `notificationRetryMs`, doubling.
   */
  notificationAttempts: number;
  notificationRetryMs: number;
  /** Takes an http:// notification URL (a connector on this machine); Microsoft takes https only. */
  subscriptionHttpUrls: boolean;
}

export const defaultGraphConfig: GraphConfig = {
  usersDeltaPageSize: 200,
  groupsDeltaPageSize: 100,
  membersPerDeltaEntry: 100,
  listPageSize: 100,
  listMaxPageSize: 999,
  teamsConfigurationsPageSize: 100,
  teamsConfigurationsNextLink: true,
  numberAssignmentsPageSize: 500,
  numberAssignmentsNextLink: false,
  numberOperationMs: 1_000,
  numberOperationWrapped: true,
  assignEnablesEnterpriseVoice: true,
  policyPropagationMs: 0,
  deltaTokenLifetimeMs: 7 * 24 * 3600 * 1000,
  directoryReplicationMs: 0,
  teamsApis: true,
  initialRoundRemovals: true,
  dnsPropagationMs: 0,
  teamsProvisioningMs: 0,
  latencyMs: 0,
  latencyJitter: 0.2,
  notificationBatchMs: 100,
  notificationAttempts: 5,
  notificationRetryMs: 1_000,
  subscriptionHttpUrls: false,
};
