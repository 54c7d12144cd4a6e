import type { ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  DataPointType,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { logDimensions } from '../src/lib/telemetry/structured-log.js';
import { startTelemetry, type TelemetryPipeline } from '../src/lib/telemetry/telemetry-pipeline.js';

type Write = (line: string) => void;
const done = (callback: (result: ExportResult) => void) => callback({ code: 0 });
const fields = (attributes: Record<string, unknown>, names: readonly string[]) =>
  names
    .filter((name) => attributes[name] !== undefined && attributes[name] !== '')
    .map((name) => `${name}=${String(attributes[name])}`)
    .join(' ');

/** The dimensions a compact line shows: a log record's, but the invocation id (the line is the invocation's). */
const dimensionNames = logDimensions.filter((name) => name !== 'invocationId');

/**
 * One line per invocation (its function, time, outcome, dimensions, and the calls beneath it by kind) instead of a
 * line per span: what an engineer reads in a terminal.
 */
export class CompactSpanExporter implements SpanExporter {
  private readonly calls = new Map<string, Record<string, number>>();

  constructor(private readonly write: Write) {}

  export(spans: ReadableSpan[], callback: (result: ExportResult) => void): void {
    for (const span of spans) {
      const traceId = span.spanContext().traceId;
      const invocation = span.attributes['faas.name'];
      if (invocation === undefined) {
        const kind =
          span.attributes['url.template'] !== undefined
            ? 'graph'
            : String(span.attributes['az.namespace'] || 'other');
        const counts = this.calls.get(traceId) ?? {};
        counts[kind] = (counts[kind] ?? 0) + 1;
        if (this.calls.size > 1_000) this.calls.clear();
        this.calls.set(traceId, counts);
        continue;
      }
      const counts = this.calls.get(traceId) ?? {};
      this.calls.delete(traceId);
      const ms = span.duration[0] * 1000 + span.duration[1] / 1e6;
      const beneath = Object.entries(counts)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', ');
      const status =
        span.attributes['http.response.status_code'] ?? (span.status.code === 2 ? 'error' : 'ok');
      this.write(
        `[telemetry] ${invocation} ${Math.round(ms)} ms ${status} ${fields(span.attributes, dimensionNames)}${beneath ? ` (${beneath})` : ''}`.replace(
          / +/g,
          ' ',
        ),
      );
    }
    done(callback);
  }

  async shutdown(): Promise<void> {}
}

/** One line per log record: severity, message, dimensions. */
export class CompactLogExporter implements LogRecordExporter {
  constructor(private readonly write: Write) {}

  export(records: ReadableLogRecord[], callback: (result: ExportResult) => void): void {
    for (const record of records)
      this.write(
        `[telemetry] ${record.severityText ?? 'INFO'} ${String(record.body)} ${fields(record.attributes, dimensionNames)}`.trimEnd(),
      );
    done(callback);
  }

  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/** Each minute, one line per metric that moved: its total over the minute (a gauge: its points). */
export class CompactMetricExporter implements PushMetricExporter {
  constructor(private readonly write: Write) {}

  export(metrics: ResourceMetrics, callback: (result: ExportResult) => void): void {
    for (const metric of metrics.scopeMetrics.flatMap((scope) => scope.metrics)) {
      if (metric.dataPoints.length === 0) continue;
      const { name, unit } = metric.descriptor;
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        const points = metric.dataPoints as { value: { count: number; sum?: number; max?: number } }[];
        const count = points.reduce((sum, point) => sum + point.value.count, 0);
        const max = Math.max(...points.map((point) => point.value.max ?? 0));
        this.write(`[telemetry] metric ${name}: ${count} measured, longest ${max} ${unit}`);
      } else if (metric.dataPointType === DataPointType.GAUGE) {
        this.write(`[telemetry] metric ${name}: ${metric.dataPoints.length} series`);
      } else {
        const total = (metric.dataPoints as { value: number }[]).reduce((sum, point) => sum + point.value, 0);
        this.write(`[telemetry] metric ${name}: ${total} ${unit}`);
      }
    }
    done(callback);
  }

  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.DELTA;
  }

  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/**
 * Telemetry of the local host: to an OTLP endpoint when OTEL_EXPORTER_OTLP_ENDPOINT is set (a collector, Jaeger,
 * the Aspire dashboard), else to the console in compact lines when LOCAL_TELEMETRY is `console` (npm start's
 * settings), else none (the tests' hosts). The same spans, metrics and logs Azure gets.
 */
export function startLocalTelemetry(
  env: NodeJS.ProcessEnv,
  write: Write = (line) => console.log(line),
): TelemetryPipeline | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/$/, '');
  if (endpoint)
    return startTelemetry({
      spans: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }),
      metrics: new OTLPMetricExporter({
        url: `${endpoint}/v1/metrics`,
        temporalityPreference: AggregationTemporality.DELTA,
      }),
      logs: new OTLPLogExporter({ url: `${endpoint}/v1/logs` }),
      metricIntervalMs: 60_000,
    });
  if (env.LOCAL_TELEMETRY !== 'console') return undefined;
  return startTelemetry({
    spans: new CompactSpanExporter(write),
    metrics: new CompactMetricExporter(write),
    logs: new CompactLogExporter(write),
    metricIntervalMs: 60_000,
  });
}
