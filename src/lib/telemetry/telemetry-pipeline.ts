import * as coreTracing from '@azure/core-tracing';
import {
  type AzureSdkInstrumentation,
  createAzureSdkInstrumentation,
} from '@azure/opentelemetry-instrumentation-azure-sdk';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { version } from '../version.js';
import { telemetryScope } from './connector-metrics.js';

/** Where the connector's spans, metrics and logs go. */
export interface TelemetryExporters {
  spans: SpanExporter;
  metrics: PushMetricExporter;
  logs: LogRecordExporter;
  /** How often metrics are collected and exported (Azure Monitor: a minute). */
  metricIntervalMs: number;
  /** The process, as Application Insights names it (cloud_RoleInstance). */
  instance?: string;
}

export interface TelemetryPipeline {
  /** Exports what is buffered now (spans, metrics, logs). */
  flush(): Promise<void>;
  /** Flushes, then stops and unregisters everything. */
  shutdown(): Promise<void>;
}

let running: TelemetryPipeline | undefined;

/** Whether log records go out through OpenTelemetry (then the host's own log lines would repeat them). */
export function telemetryExportsLogs(): boolean {
  return running !== undefined;
}

/**
 * Registers the process-wide OpenTelemetry providers with `exporters`: a W3C trace context (an invocation's span is
 * a child of the host's), spans, metrics and log records under the resource `m365-tenant-connector`, and the Azure
 * SDK's own spans (Key Vault, Tables, Queues) through its instrumenter. Once per process; `shutdown` undoes it.
 */
export function startTelemetry(exporters: TelemetryExporters): TelemetryPipeline {
  if (running) throw new Error('Telemetry is already started in this process.');
  const resource = resourceFromAttributes({
    'service.name': telemetryScope,
    'service.version': version,
    ...(exporters.instance ? { 'service.instance.id': exporters.instance } : {}),
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(exporters.spans)],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: exporters.metrics,
        exportIntervalMillis: exporters.metricIntervalMs,
      }),
    ],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: exporters.logs })],
  });
  logs.setGlobalLoggerProvider(loggerProvider);
  // The instrumentation patches @azure/core-tracing through a CommonJS require hook, which an ES module app never
  // passes through; its patch (one call: useInstrumenter) is applied to the module directly instead.
  const azureSdk = createAzureSdkInstrumentation() as AzureSdkInstrumentation;
  for (const definition of azureSdk.getModuleDefinitions()) definition.patch?.(coreTracing as never);
  const flush = async () => {
    await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush(), loggerProvider.forceFlush()]);
  };
  const pipeline: TelemetryPipeline = {
    flush,
    async shutdown() {
      await flush();
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]);
      trace.disable();
      metrics.disable();
      logs.disable();
      propagation.disable();
      context.disable();
      running = undefined;
    },
  };
  running = pipeline;
  return pipeline;
}
