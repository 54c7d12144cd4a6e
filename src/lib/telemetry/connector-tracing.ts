import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { version } from '../version.js';
import { telemetryScope } from './connector-metrics.js';

export { SpanKind };

/** The context of the host's own span for an invocation (its W3C trace context), or none. */
export function invocationParent(traceContext?: {
  traceParent?: string | null;
  traceState?: string | null;
}): Context {
  if (!traceContext?.traceParent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, {
    traceparent: traceContext.traceParent,
    ...(traceContext.traceState ? { tracestate: traceContext.traceState } : {}),
  });
}

/**
 * Runs `work` inside a new span (a child of `parent`, else of the active span): the span ends with the work, an
 * error marks it failed with the error's name only (an error's message may quote what was sent).
 */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const tracer = trace.getTracer(telemetryScope, version);
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.name : 'error',
        });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Adds dimensions to the span under way (the invocation's), e.g. the tenant a queue message named. */
export function describeActiveSpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}
