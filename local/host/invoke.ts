import { randomBytes, randomUUID } from 'node:crypto';
import type { InvocationContext } from '@azure/functions';
import azureFunctions from '@azure/functions';

export type HostLog = (level: 'information' | 'warning' | 'error', message: string) => void;

/** Formats a log call's arguments the way the Functions host writes them to its console. */
function format(args: unknown[]): string {
  return args
    .map((arg) => (typeof arg === 'string' ? arg : arg instanceof Error ? arg.stack : JSON.stringify(arg)))
    .join(' ');
}

class FunctionTimeoutError extends Error {}

/**
 * Runs one invocation like the Functions host: a fresh InvocationContext whose log calls go to the host log,
 * the start and end lines, and the host.json function timeout. Rejects with the handler's error.
 */
export async function invokeFunction<T>(
  functionName: string,
  timeoutMs: number,
  log: HostLog,
  triggerMetadata: Record<string, unknown>,
  call: (context: InvocationContext) => Promise<T> | T,
): Promise<T> {
  const invocationId = randomUUID();
  const context = new azureFunctions.InvocationContext({
    invocationId,
    functionName,
    triggerMetadata,
    // As the host: the W3C id of its own activity for the invocation (WorkerFunctionInvoker: Activity.Current?.Id).
    traceContext: {
      traceParent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
      traceState: '',
      attributes: {},
    },
    logHandler: (level, ...args) => {
      const severity =
        level === 'error' || level === 'critical' ? 'error' : level === 'warning' ? 'warning' : 'information';
      log(severity, `[${functionName}] ${format(args)}`);
    },
  });
  const started = performance.now();
  log('information', `Executing 'Functions.${functionName}' (Id=${invocationId})`);
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => call(context)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new FunctionTimeoutError(
                `Timeout value of ${timeoutMs} ms was exceeded by function: ${functionName}`,
              ),
            ),
          timeoutMs,
        );
      }),
    ]);
    log(
      'information',
      `Executed 'Functions.${functionName}' (Succeeded, Duration=${Math.round(performance.now() - started)}ms)`,
    );
    return result;
  } catch (error) {
    log(
      'error',
      `Executed 'Functions.${functionName}' (Failed, Duration=${Math.round(performance.now() - started)}ms) ${format([error])}`,
    );
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
