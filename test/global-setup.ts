import type { TestProject } from 'vitest/node';
import { startAzurite } from '../local/azurite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    storageConnectionString: string;
  }
}

/** Starts the real parts the integration tests talk to, once for the whole run, on free ports. */
export default async function setup(project: TestProject) {
  const azurite = await startAzurite();
  project.provide('storageConnectionString', azurite.connectionString);
  return async () => {
    await azurite.stop();
  };
}
