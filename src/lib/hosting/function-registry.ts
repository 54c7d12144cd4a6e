import type {
  HttpFunctionOptions,
  HttpResponseInit,
  InvocationContext,
  StorageQueueFunctionOptions,
  TimerFunctionOptions,
} from '@azure/functions';
import azureFunctions from '@azure/functions';
import type { Attributes } from '@opentelemetry/api';
import { isPoisonQueue } from '../storage/storage-names.js';
import { startAzureMonitorTelemetry } from '../telemetry/azure-monitor-telemetry.js';
import { connectorMetrics } from '../telemetry/connector-metrics.js';
import { inSpan, invocationParent, SpanKind } from '../telemetry/connector-tracing.js';

/** One registered function, as the Functions host and the local host both see it. */
export type FunctionDefinition =
  | { kind: 'http'; name: string; options: HttpFunctionOptions }
  | { kind: 'timer'; name: string; options: TimerFunctionOptions }
  | { kind: 'storageQueue'; name: string; options: StorageQueueFunctionOptions };

const definitions = new Map<string, FunctionDefinition>();

function record(definition: FunctionDefinition): void {
  if (definitions.has(definition.name)) {
    throw new Error(`A function named '${definition.name}' is registered twice.`);
  }
  definitions.set(definition.name, definition);
}

let telemetryStarted = false;

/** Telemetry starts with the first registration, before any invocation: in Azure, to Application Insights. */
function startTelemetryOnce(): void {
  if (telemetryStarted) return;
  telemetryStarted = true;
  startAzureMonitorTelemetry();
}

/**
 * A handler that runs inside a span of its own for each invocation, a child of the host's span for it (the
 * invocation's trace context), so the Graph, Key Vault and storage calls it makes are its children.
 */
function traced<T, R>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  handler: (trigger: T, context: InvocationContext) => R | Promise<R>,
): (trigger: T, context: InvocationContext) => Promise<R> {
  return (trigger, context) =>
    inSpan(
      name,
      {
        kind,
        parent: invocationParent(context.traceContext),
        attributes: { 'faas.name': name, 'faas.invocation_id': context.invocationId, ...attributes },
      },
      async (span) => {
        const result = await handler(trigger, context);
        const status = (result as HttpResponseInit | undefined)?.status;
        if (kind === SpanKind.SERVER) span.setAttribute('http.response.status_code', status ?? 200);
        return result;
      },
    );
}

/**
 * Registration goes through these helpers so that the local host can serve exactly what the Functions host
 * would: each records the definition, then registers it with `@azure/functions` as usual.
 */
export const functions = {
  http(name: string, options: HttpFunctionOptions): void {
    startTelemetryOnce();
    const attributes = { 'faas.trigger': 'http', 'http.route': options.route ?? name };
    const wrapped = { ...options, handler: traced(name, SpanKind.SERVER, attributes, options.handler) };
    record({ kind: 'http', name, options: wrapped });
    azureFunctions.app.http(name, wrapped);
  },
  timer(name: string, options: TimerFunctionOptions): void {
    startTelemetryOnce();
    const wrapped = {
      ...options,
      handler: traced(name, SpanKind.INTERNAL, { 'faas.trigger': 'timer' }, options.handler),
    };
    record({ kind: 'timer', name, options: wrapped });
    azureFunctions.app.timer(name, wrapped);
  },
  storageQueue(name: string, options: StorageQueueFunctionOptions): void {
    startTelemetryOnce();
    const { queueName, handler } = options;
    const counted = isPoisonQueue(queueName)
      ? (message: unknown, context: InvocationContext) => {
          connectorMetrics.messagePoisoned(queueName);
          return handler(message, context);
        }
      : handler;
    const attributes = { 'faas.trigger': 'pubsub', 'messaging.destination.name': queueName };
    const wrapped = { ...options, handler: traced(name, SpanKind.CONSUMER, attributes, counted) };
    record({ kind: 'storageQueue', name, options: wrapped });
    azureFunctions.app.storageQueue(name, wrapped);
  },
};

/** Every function registered so far in this process. */
export function registeredFunctions(): readonly FunctionDefinition[] {
  return [...definitions.values()];
}
