import type { InvocationContext } from '@azure/functions';
import { functions } from '../hosting/function-registry.js';
import { invocationLogger } from '../hosting/logger.js';
import { poisonQueue } from '../storage/storage-names.js';
import { type Advance, describeAdvance } from './workflow-runner.js';

/** What the triggers need of a workflow's runner. */
interface Runner<J> {
  work(job: J, options: { dequeueCount?: number }): Promise<Advance>;
  poisoned(job: J, reason: string): Promise<boolean>;
  dimensions(job: J): { tenantId: string; workflow: string };
}

export interface WorkflowTriggerOptions<J> {
  /** The functions are `{name}-worker` and `{name}-poison`. */
  name: string;
  queueName: string;
  /** The runner, from the app's services (built on first use). */
  runner: () => Runner<J>;
  /** The job a message names, or undefined for one that names none (dropped). */
  jobOf: (message: unknown) => J | undefined;
  /** The job in words for the log, e.g. `site {tenantId} {siteId}`. */
  describe: (job: J) => string;
}

/**
 * A workflow's two queue triggers, the same for every workflow: the worker takes the workflow as far as it goes
 * (a message delivered again after a worker died says so by its dequeue count), and the poison handler records a
 * message that failed as often as the queue allows and has the workflow taken up again later.
 */
export function workflowTriggers<J>(options: WorkflowTriggerOptions<J>): void {
  functions.storageQueue(`${options.name}-worker`, {
    queueName: options.queueName,
    connection: 'AzureWebJobsStorage',
    handler: async (message: unknown, context: InvocationContext) => {
      const job = options.jobOf(message);
      if (!job) {
        invocationLogger(context).warn(`${options.name} message that names no ${options.name}: dropped`);
        return;
      }
      const runner = options.runner();
      const result = await runner.work(job, {
        dequeueCount: Number(context.triggerMetadata?.dequeueCount ?? 1),
      });
      invocationLogger(context).info(`${options.describe(job)}: ${describeAdvance(result)}`, {
        ...runner.dimensions(job),
        outcome: result.outcome,
      });
    },
  });
  functions.storageQueue(`${options.name}-poison`, {
    queueName: poisonQueue(options.queueName),
    connection: 'AzureWebJobsStorage',
    handler: async (message: unknown, context: InvocationContext) => {
      const job = options.jobOf(message);
      if (!job) return;
      const runner = options.runner();
      const resumed = await runner.poisoned(
        job,
        'a message failed as often as the queue allows; taken up again later',
      );
      invocationLogger(context).warn(
        `${options.describe(job)}: poisoned message, ${resumed ? 'taken up again later' : 'nothing to do'}`,
        { ...runner.dimensions(job), outcome: 'poisoned' },
      );
    },
  });
}

/** A message's string fields, when it has every one named; else undefined. */
export function stringFields<K extends string>(
  message: unknown,
  ...names: K[]
): Record<K, string> | undefined {
  const fields = message as Partial<Record<K, unknown>> | undefined;
  if (!fields || names.some((name) => typeof fields[name] !== 'string')) return undefined;
  return Object.fromEntries(names.map((name) => [name, fields[name]])) as Record<K, string>;
}
