import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { registeredFunctions } from '../src/lib/hosting/function-registry.js';
import { projectRoot } from '../src/lib/project-root.js';
import { functionModules } from './function-modules.js';
import { readHostConfig } from './host/host-config.js';
import type { HostLog } from './host/invoke.js';
import { startLocalHost } from './host/local-host.js';
import type { LocalSettings } from './host/local-settings.js';
import { startLocalTelemetry } from './telemetry.js';

/**
 * The local Functions host process. The parent (npm start) sends the effective local settings over IPC; like
 * Core Tools, the host puts `Values` into the environment, loads the function files named by package.json
 * `main`, and serves them. It answers `{ ready: url }` or `{ failed: message }`.
 */
const root = projectRoot(import.meta.url);

const log: HostLog = (level, message) => {
  const line = `[${new Date().toISOString()}] ${message}`;
  if (level === 'error') console.error(line);
  else console.log(line);
};

/**
 * Outside the Functions worker, @azure/functions warns that it is in "test mode" and skips each registration.
 * Here that is expected (this host serves the recorded registrations), so those two warnings are dropped.
 */
async function importQuietly(file: string): Promise<void> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = String(args[0]);
    if (!/package (is in|to) test mode/.test(text)) warn(...args);
  };
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.warn = warn;
  }
}

async function main(settings: LocalSettings): Promise<void> {
  Object.assign(process.env, settings.values);
  // Before the function files load, as the worker's telemetry starts with the first registration in Azure.
  const telemetry = startLocalTelemetry(process.env);
  for (const file of functionModules(root)) await importQuietly(file);
  const host = await startLocalHost({
    definitions: registeredFunctions(),
    hostConfig: readHostConfig(join(root, 'host.json')),
    settings,
    log,
  });
  // Ctrl-C reaches this process directly and through the parent's stop message: stop once.
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    host
      .stop()
      .then(() => telemetry?.shutdown())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('message', (message: { stop?: boolean }) => {
    if (message.stop) stop();
  });
  process.on('disconnect', stop);
  process.send?.({
    ready: host.url,
    functions: registeredFunctions().map(({ kind, name }) => ({ kind, name })),
  });
}

process.once('message', (message: { settings?: LocalSettings }) => {
  if (!message.settings) return;
  main(message.settings).catch((error: unknown) => {
    process.send?.({ failed: (error as Error).message });
    process.exit(1);
  });
});
