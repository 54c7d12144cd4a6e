import { InMemoryLogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricCatalogue } from '../../src/lib/telemetry/metric-catalogue.js';
import { startTelemetry } from '../../src/lib/telemetry/telemetry-pipeline.js';
import { masterKey } from '../support/connector-fixture.js';
import { until } from '../support/eventually.js';
import { onboardManually } from '../support/onboard-manually.js';
import { selfManagedTenant } from '../support/self-managed-tenant.js';
import { useConnector } from '../support/use-connector.js';

// Telemetry starts before the connector (in Azure: with the first function registered), into memory.
const spans = new InMemorySpanExporter();
const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const logs = new InMemoryLogRecordExporter();
const pipeline = startTelemetry({ spans, metrics, logs, metricIntervalMs: 3_600_000 });
afterAll(() => pipeline.shutdown());

const connector = useConnector();
let tenantId: string;

beforeAll(async () => {
  tenantId = (connector.world.tenants[0] as { id: string }).id;
  await onboardManually(connector, tenantId);
});

const finishedSpans = async () => {
  await pipeline.flush();
  return spans.getFinishedSpans();
};
const finishedLogs = async () => {
  await pipeline.flush();
  return logs.getFinishedLogRecords();
};
/** Every data point of a metric so far, with its dimensions. */
const points = async (name: string) => {
  await pipeline.flush();
  const latest: ResourceMetrics | undefined = metrics.getMetrics().at(-1);
  return (latest?.scopeMetrics ?? [])
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]);
};
const total = (found: { value: unknown }[]) =>
  found.reduce((sum, point) => sum + (typeof point.value === 'number' ? point.value : 0), 0);
const childrenOf = (all: ReadableSpan[], parent: ReadableSpan) =>
  all.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);

describe('telemetry through OpenTelemetry', () => {
  it('traces an onboarding: the invocation span (a child of the host’s) with Graph, Key Vault and storage calls beneath it', async () => {
    const all = await finishedSpans();
    const manual = all.find((span) => span.attributes['faas.name'] === 'onboarding-manual');
    expect(manual?.attributes['faas.trigger']).toBe('http');
    expect(manual?.attributes['http.response.status_code']).toBe(200);
    // The host's own span for the invocation is the parent (its W3C id came in the invocation's trace context).
    expect(manual?.parentSpanContext?.isRemote).toBe(true);
    const below = (span: ReadableSpan): ReadableSpan[] =>
      childrenOf(all, span).flatMap((child) => [child, ...below(child)]);
    const calls = below(manual as ReadableSpan);
    const graph = calls.filter((span) => span.attributes['url.template'] !== undefined);
    expect(graph.length).toBeGreaterThan(0);
    expect(graph.every((span) => span.attributes.tenantId === tenantId)).toBe(true);
    expect(graph.map((span) => String(span.attributes['url.template']))).not.toContainEqual(
      expect.stringMatching(/[0-9a-f]{8}-[0-9a-f]{4}-/),
    );
    const namespaces = new Set(calls.map((span) => span.attributes['az.namespace']));
    expect(namespaces).toContain('Microsoft.KeyVault');
    expect(namespaces).toContain('Microsoft.Data.Tables');
  });

  it('measures a replication run that waits out a 429: Graph answers per tenant, the run by outcome, its logs by dimension', async () => {
    const storm = connector.simulator.control.injectFault({
      path: '/users/delta',
      status: 429,
      retryAfterSeconds: 1,
    });
    const runId: string = (await connector.call('POST', `/tenants/${tenantId}/replicate`)).body.runId;
    const run = async () =>
      (await connector.call('GET', `/tenants/${tenantId}/replication-runs`)).body.value.find(
        (candidate: { runId: string }) => candidate.runId === runId,
      );
    await until(run, (found) => found?.waiting !== undefined);
    connector.simulator.faults.remove(storm);
    await until(run, (found) => found?.status === 'completed', 30_000);

    const requests = await points(metricCatalogue.graphRequests.name);
    const throttled = requests.filter(
      (point) => point.attributes.tenantId === tenantId && point.attributes.throttled === 'true',
    );
    expect(total(throttled)).toBeGreaterThan(0);
    expect(throttled.every((point) => point.attributes.statusClass === '4xx')).toBe(true);
    const runs = await points(metricCatalogue.replicationRuns.name);
    expect(
      total(
        runs.filter(
          (point) => point.attributes.tenantId === tenantId && point.attributes.outcome === 'completed',
        ),
      ),
    ).toBeGreaterThanOrEqual(1);
    const durations = await points(metricCatalogue.replicationRunDuration.name);
    expect(durations.some((point) => point.attributes.trigger === 'on_demand')).toBe(true);

    const all = await finishedSpans();
    const throttledCall = all.find(
      (span) => span.attributes['http.response.status_code'] === 429 && span.attributes.tenantId === tenantId,
    );
    const invocation = all.find(
      (span) => span.spanContext().spanId === throttledCall?.parentSpanContext?.spanId,
    );
    expect(invocation?.attributes).toMatchObject({ 'faas.name': 'replication-worker', tenantId, runId });

    const records = await finishedLogs();
    const waited = records.find(
      (record) => record.attributes.runId === runId && record.attributes.outcome === 'waiting',
    );
    expect(waited?.attributes.tenantId).toBe(tenantId);
    expect(String(waited?.body)).toContain('Microsoft Graph throttled the tenant (429)');
    expect(waited?.spanContext?.traceId).toBe(invocation?.spanContext().traceId);
    expect(
      records.some(
        (record) => record.attributes.runId === runId && record.attributes.outcome === 'completed',
      ),
    ).toBe(true);
  }, 60_000);

  it('follows a rotation step by step: a span per step with its workflow and step, and no secret anywhere', async () => {
    const rotated = await selfManagedTenant(connector);
    await connector.call('POST', `/tenants/${rotated.tenantId}/services/dr-london/rotate`);
    await until(
      async () =>
        (await connector.call('GET', `/tenants/${rotated.tenantId}`)).body.credentials?.[0]?.rotation?.state,
      (state) => state === 'done',
      60_000,
    );
    const all = await finishedSpans();
    const steps = all.filter(
      (span) => span.attributes.workflow === 'rotation' && span.attributes.tenantId === rotated.tenantId,
    );
    const stepNames = new Set(steps.map((span) => span.attributes.step).filter(Boolean));
    expect(stepNames).toContain('started');
    expect(stepNames.size).toBeGreaterThanOrEqual(3);
    const records = await until(finishedLogs, (found) =>
      found.some(
        (record) =>
          record.attributes.workflow === 'rotation' &&
          record.attributes.tenantId === rotated.tenantId &&
          record.attributes.outcome === 'finished',
      ),
    );

    // No secret value, private key or token in anything exported: spans, logs or metrics.
    const secrets = [...connector.simulator.vaults.values()].flatMap(({ vault }) =>
      [...vault.secrets.values()].flatMap((secret) => secret.versions.map((version) => version.value)),
    );
    secrets.push(rotated.secret, masterKey);
    expect(secrets.length).toBeGreaterThan(3);
    const exported = JSON.stringify([
      all.map((span) => ({
        name: span.name,
        attributes: span.attributes,
        events: span.events,
        status: span.status,
      })),
      records.map((record: ReadableLogRecord) => ({ body: record.body, attributes: record.attributes })),
      metrics.getMetrics(),
    ]);
    for (const secret of secrets) expect(exported).not.toContain(secret);
    // Nor a person's name or sign-in name from the replicated tenant.
    const people = [...connector.simulator.directory.tenant(tenantId).users.values()];
    expect(people.length).toBeGreaterThan(10);
    for (const person of people) {
      expect(exported).not.toContain(person.userPrincipalName);
      expect(exported).not.toContain(person.displayName);
    }
    expect(exported).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}/);
    expect(exported).not.toMatch(/Bearer /i);
  }, 90_000);
});
