import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FunctionDefinition, registeredFunctions } from '../../src/lib/hosting/function-registry.js';
import { poisonQueue, queueNames } from '../../src/lib/storage/storage-names.js';

/** Queues whose lost or poisoned messages a timer finds again instead of a poison handler (its function's name). */
const sweptBy: Partial<Record<keyof typeof queueNames, string>> = {
  coreEvents: 'core-events-sweep',
  notifiedChanges: 'near-real-time-sweep',
};

let definitions: readonly FunctionDefinition[];

beforeAll(async () => {
  const dir = join(import.meta.dirname, '..', '..', 'src', 'functions');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) await import(join(dir, file));
  definitions = registeredFunctions();
});

const queueFunctions = (queue: string) =>
  definitions.filter(
    (definition) => definition.kind === 'storageQueue' && definition.options.queueName === queue,
  );

describe('every queue has a worker, and a sweep or a poison handler', () => {
  it.each(Object.entries(queueNames))('%s (%s)', (key, queue) => {
    expect(queueFunctions(queue), `a worker on ${queue}`).toHaveLength(1);
    const poison = queueFunctions(poisonQueue(queue));
    const sweep = sweptBy[key as keyof typeof queueNames];
    expect(
      poison.length > 0 ||
        (sweep !== undefined &&
          definitions.some((definition) => definition.kind === 'timer' && definition.name === sweep)),
      `a poison handler on ${poisonQueue(queue)} or a sweep for ${queue}`,
    ).toBe(true);
  });
});
