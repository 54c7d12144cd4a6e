import { type AnyValueMap, logs, SeverityNumber } from '@opentelemetry/api-logs';
import { version } from '../version.js';
import { telemetryScope } from './connector-metrics.js';

/**
 * The dimensions a log record may carry, by name (Application Insights shows them as customDimensions). Never a
 * secret, a token or a person's data: ids and states only.
 */
export interface LogFields {
  tenantId?: string;
  runId?: string;
  serviceId?: string;
  workflow?: string;
  step?: string;
  outcome?: string;
  [name: string]: string | number | boolean | undefined;
}

/** The named dimensions of log records (queries over `traces` may use these). */
export const logDimensions = [
  'tenantId',
  'runId',
  'serviceId',
  'workflow',
  'step',
  'outcome',
  'invocationId',
] as const;

export type LogSeverity = 'info' | 'warn' | 'error';

const severities: Record<LogSeverity, SeverityNumber> = {
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
};

/** Writes one log record through OpenTelemetry (tied to the active span), its fields as attributes. */
export function emitLogRecord(severity: LogSeverity, message: string, fields: LogFields = {}): void {
  const attributes: AnyValueMap = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) attributes[name] = value;
  logs.getLogger(telemetryScope, version).emit({
    severityNumber: severities[severity],
    severityText: severity.toUpperCase(),
    body: message,
    attributes,
  });
}
