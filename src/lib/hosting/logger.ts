import type { InvocationContext } from '@azure/functions';

/** Where a service writes what it did; built from the invocation, so every line carries its invocation id. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/** The invocation's own log (Application Insights ties each line to the invocation). */
export function invocationLogger(context: InvocationContext): Logger {
  return {
    info: (message) => context.log(message),
    warn: (message) => context.warn(message),
    error: (message, error) => (error === undefined ? context.error(message) : context.error(message, error)),
  };
}

/** For work outside an invocation (tools, benchmarks). */
export const consoleLogger: Logger = {
  info: (message) => console.info(message),
  warn: (message) => console.warn(message),
  error: (message, error) => console.error(message, error ?? ''),
};

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
