import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalTelemetry } from '../../local/telemetry.js';
import { connectorMetrics } from '../../src/lib/telemetry/connector-metrics.js';
import { inSpan, SpanKind } from '../../src/lib/telemetry/connector-tracing.js';
import { emitLogRecord } from '../../src/lib/telemetry/structured-log.js';
import type { TelemetryPipeline } from '../../src/lib/telemetry/telemetry-pipeline.js';

let pipeline: TelemetryPipeline | undefined;
afterEach(async () => {
  await pipeline?.shutdown();
  pipeline = undefined;
});

/** An invocation as the registry runs one: its span, a Graph call beneath it, a log line, a metric. */
async function anInvocation(): Promise<void> {
  await inSpan(
    'replication-worker',
    {
      kind: SpanKind.CONSUMER,
      attributes: { 'faas.name': 'replication-worker', tenantId: 't-1', runId: 'od-1' },
    },
    async () => {
      await inSpan(
        'GET /v1.0/users/delta',
        { kind: SpanKind.CLIENT, attributes: { 'url.template': '/v1.0/users/delta' } },
        async () => undefined,
      );
      emitLogRecord('warn', 'replication t-1 od-1 waits 2 s', {
        tenantId: 't-1',
        runId: 'od-1',
        outcome: 'waiting',
      });
      connectorMetrics.graphAnswered('t-1', 429);
    },
  );
}

describe('the local host’s telemetry', () => {
  it('is off unless asked for (the tests’ hosts)', () => {
    expect(startLocalTelemetry({})).toBeUndefined();
  });

  it('prints compact lines with LOCAL_TELEMETRY=console: one per invocation, per log record, per metric', async () => {
    const lines: string[] = [];
    pipeline = startLocalTelemetry({ LOCAL_TELEMETRY: 'console' }, (line) => lines.push(line));
    await anInvocation();
    await pipeline?.flush();
    expect(lines).toContain(
      '[telemetry] WARN replication t-1 od-1 waits 2 s tenantId=t-1 runId=od-1 outcome=waiting',
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\[telemetry\] replication-worker \d+ ms ok tenantId=t-1 runId=od-1 \(graph 1\)$/,
      ),
    );
    expect(lines).toContain('[telemetry] metric connector.graph.requests: 1 {request}');
  });

  it('sends spans, metrics and logs to OTEL_EXPORTER_OTLP_ENDPOINT when set', async () => {
    const received: { path: string; type: string; bytes: number }[] = [];
    const collector = createServer((request, response) => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      request.on('end', () => {
        received.push({ path: request.url ?? '', type: request.headers['content-type'] ?? '', bytes });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = collector.address() as AddressInfo;
      pipeline = startLocalTelemetry({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`,
        LOCAL_TELEMETRY: 'console',
      });
      await anInvocation();
      await pipeline?.flush();
      expect(received.map(({ path }) => path).sort()).toEqual(['/v1/logs', '/v1/metrics', '/v1/traces']);
      expect(received.every(({ bytes }) => bytes > 0)).toBe(true);
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  });
});
