/**
 * Every metric the connector writes: its name (fixed: alert rules and the workbook query these names), its unit
 * (UCUM, as OpenTelemetry asks), its kind and the dimensions it carries. docs/operations.md lists them for people;
 * the template's alert rules and workbook are checked against this catalogue.
 */
export const metricCatalogue = {
  replicationRuns: {
    name: 'connector.replication.runs',
    kind: 'counter',
    unit: '{run}',
    description:
      'Replication runs that ended (completed, held, failed) or were not started (skipped), per tenant.',
    dimensions: ['tenantId', 'outcome', 'trigger'],
    values: { outcome: ['completed', 'held', 'failed', 'skipped'] },
  },
  replicationRunDuration: {
    name: 'connector.replication.run.duration',
    kind: 'histogram',
    unit: 's',
    description: 'From a replication run being queued to its end, per tenant.',
    dimensions: ['tenantId', 'outcome', 'trigger'],
    values: { outcome: ['completed', 'held', 'failed'] },
  },
  replicationObjectsChanged: {
    name: 'connector.replication.objects.changed',
    kind: 'counter',
    unit: '{object}',
    description: 'Objects a replication run stored (added or changed) or removed in the replica, per tenant.',
    dimensions: ['tenantId', 'change'],
    values: { change: ['upserted', 'deleted'] },
  },
  graphRequests: {
    name: 'connector.graph.requests',
    kind: 'counter',
    unit: '{request}',
    description: 'Requests sent to Microsoft Graph, per tenant and answer (throttled: a 429).',
    dimensions: ['tenantId', 'statusClass', 'throttled'],
    values: { statusClass: ['2xx', '3xx', '4xx', '5xx', 'network'], throttled: ['true', 'false'] },
  },
  storageTransactions: {
    name: 'connector.storage.transactions',
    kind: 'counter',
    unit: '{transaction}',
    description: 'Table storage write transactions (a write or a batch) of replication runs, per tenant.',
    dimensions: ['tenantId'],
  },
  eventDeliveries: {
    name: 'connector.events.deliveries',
    kind: 'counter',
    unit: '{delivery}',
    description:
      'Attempts to deliver an event to the core: delivered, retrying, failed (past its horizon), disabled (410).',
    dimensions: ['tenantId', 'outcome'],
    values: { outcome: ['delivered', 'retrying', 'failed', 'disabled'] },
  },
  eventDeliveryLag: {
    name: 'connector.events.delivery.lag',
    kind: 'histogram',
    unit: 's',
    description: 'From an event being written to the core acknowledging it.',
    dimensions: ['tenantId'],
  },
  poisonedMessages: {
    name: 'connector.queue.poisoned',
    kind: 'counter',
    unit: '{message}',
    description: 'Messages that failed as often as their queue allows and reached its poison queue.',
    dimensions: ['queue'],
  },
  keyVaultFailures: {
    name: 'connector.key_vault.failures',
    kind: 'counter',
    unit: '{request}',
    description:
      "The connector's own Key Vault refusing it (forbidden: 401/403) or not answering (unavailable), per vault.",
    dimensions: ['reason', 'status'],
    values: { reason: ['forbidden', 'unavailable'] },
  },
  credentialDaysLeft: {
    name: 'connector.credentials.days_left',
    kind: 'gauge',
    unit: 'd',
    description:
      "Days until a tenant service's secret or certificate ends, and who can renew it (connector or customer).",
    dimensions: ['tenantId', 'serviceId', 'renewer'],
    values: { renewer: ['connector', 'customer'] },
  },
  tenants: {
    name: 'connector.tenants',
    kind: 'gauge',
    unit: '{tenant}',
    description: 'Tenants by status, counted by the daily replication fan-out.',
    dimensions: ['status'],
  },
  workflows: {
    name: 'connector.workflows',
    kind: 'gauge',
    unit: '{workflow}',
    description: 'Workflows not yet ended, per kind and state, counted by the workflow sweep.',
    dimensions: ['workflow', 'state'],
  },
} as const;

export type MetricKey = keyof typeof metricCatalogue;
/** The values a metric's dimension takes, where they are a fixed few (alert rules compare with them). */
export type MetricValues<K extends MetricKey, D extends string> = (typeof metricCatalogue)[K] extends {
  values: Record<D, readonly (infer V)[]>;
}
  ? V
  : never;
export type MetricDimension = (typeof metricCatalogue)[MetricKey]['dimensions'][number];
