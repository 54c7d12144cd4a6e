import type { InvocationContext } from '@azure/functions';
import { emitLogRecord, type LogFields } from '../telemetry/structured-log.js';
import { telemetryExportsLogs } from '../telemetry/telemetry-pipeline.js';

export type { LogFields };

/**
 * Where a service writes what it did; built from the invocation, so every line carries its invocation id. Fields
 * (tenantId, runId, serviceId, workflow, step, outcome) are dimensions, not words in the message.
 */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, error?: unknown, fields?: LogFields): void;
}

/**
 * The invocation's own log. With telemetry exported from the worker, each line is an OpenTelemetry log record
 * with its fields (tied to the invocation's span); otherwise the host writes it (Application Insights ties each
 * line to the invocation). Never both: the same line twice is paid twice.
 */
export function invocationLogger(context: InvocationContext): Logger {
  const structured = (severity: 'info' | 'warn' | 'error', message: string, fields?: LogFields) => {
    if (!telemetryExportsLogs()) return false;
    emitLogRecord(severity, message, { ...fields, invocationId: context.invocationId });
    return true;
  };
  return {
    info: (message, fields) => structured('info', message, fields) || context.log(message),
    warn: (message, fields) => structured('warn', message, fields) || context.warn(message),
    error: (message, error, fields) => {
      // What the host's line would have carried (the error's name, message and stack), as attributes.
      const exception =
        error instanceof Error
          ? {
              'exception.type': error.name,
              'exception.message': error.message,
              'exception.stacktrace': error.stack,
            }
          : {};
      if (structured('error', message, { ...fields, ...exception })) return;
      if (error === undefined) context.error(message);
      else context.error(message, error);
    },
  };
}

/** For work outside an invocation (tools, benchmarks). */
export const consoleLogger: Logger = {
  info: (message) => console.info(message),
  warn: (message) => console.warn(message),
  error: (message, error) => console.error(message, error ?? ''),
};

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
