import type {
  HttpFunctionOptions,
  StorageQueueFunctionOptions,
  TimerFunctionOptions,
} from '@azure/functions';
import azureFunctions from '@azure/functions';

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

/**
 * Registration goes through these helpers so that the local host can serve exactly what the Functions host
 * would: each records the definition, then registers it with `@azure/functions` as usual.
 */
export const functions = {
  http(name: string, options: HttpFunctionOptions): void {
    record({ kind: 'http', name, options });
    azureFunctions.app.http(name, options);
  },
  timer(name: string, options: TimerFunctionOptions): void {
    record({ kind: 'timer', name, options });
    azureFunctions.app.timer(name, options);
  },
  storageQueue(name: string, options: StorageQueueFunctionOptions): void {
    record({ kind: 'storageQueue', name, options });
    azureFunctions.app.storageQueue(name, options);
  },
};

/** Every function registered so far in this process. */
export function registeredFunctions(): readonly FunctionDefinition[] {
  return [...definitions.values()];
}
