import type { AddressInfo } from 'node:net';
import type {
  HttpFunctionOptions,
  StorageQueueFunctionOptions,
  TimerFunctionOptions,
} from '@azure/functions';
import { QueueServiceClient } from '@azure/storage-queue';
import type { FunctionDefinition } from '../../src/lib/hosting/function-registry.js';
import type { HostConfig } from './host-config.js';
import { createHttpListener } from './http-listener.js';
import type { HostLog } from './invoke.js';
import type { LocalSettings } from './local-settings.js';
import { QueueListener } from './queue-listener.js';
import { TimerScheduler } from './timer-scheduler.js';

export interface LocalHostOptions {
  definitions: readonly FunctionDefinition[];
  hostConfig: HostConfig;
  settings: LocalSettings;
  /** Where to listen; port 0 picks a free one. Defaults to localhost and the settings' port. */
  listen?: { host?: string; port?: number };
  log: HostLog;
}

export interface RunningHost {
  url: string;
  timers: TimerScheduler;
  stop(): Promise<void>;
}

function ofKind<K extends FunctionDefinition['kind']>(definitions: readonly FunctionDefinition[], kind: K) {
  return definitions.filter((definition) => definition.kind === kind) as Extract<
    FunctionDefinition,
    { kind: K }
  >[];
}

/** How long Azure's queue trigger keeps a message it took invisible (renewing it while the function runs). */
const defaultMessageLeaseSeconds = 600;

function queueListeners(
  options: LocalHostOptions,
  functions: { name: string; options: StorageQueueFunctionOptions }[],
) {
  return functions.map(({ name, options: trigger }) => {
    const setting = trigger.connection || 'AzureWebJobsStorage';
    const connectionString = options.settings.values[setting];
    if (!connectionString) throw new Error(`Queue function '${name}' needs the setting ${setting}.`);
    const service = QueueServiceClient.fromConnectionString(connectionString);
    return new QueueListener(
      name,
      trigger,
      service.getQueueClient(trigger.queueName),
      service.getQueueClient(`${trigger.queueName}-poison`),
      options.hostConfig,
      options.log,
      (options.settings.queueMessageLeaseSeconds ?? defaultMessageLeaseSeconds) * 1000,
    );
  });
}

/**
 * Serves the registered functions the way the Functions host would: HTTP routes, timers on their schedules
 * and queue triggers polling storage. Its only job is to behave like the host for this app.
 */
export async function startLocalHost(options: LocalHostOptions): Promise<RunningHost> {
  const { definitions, hostConfig, settings, log } = options;
  const timers = new TimerScheduler(
    ofKind(definitions, 'timer') as { name: string; options: TimerFunctionOptions }[],
    settings.values,
    hostConfig.functionTimeoutMs,
    log,
  );
  const queues = queueListeners(options, ofKind(definitions, 'storageQueue'));
  const server = createHttpListener({
    functions: ofKind(definitions, 'http') as { name: string; options: HttpFunctionOptions }[],
    routePrefix: hostConfig.routePrefix,
    functionTimeoutMs: hostConfig.functionTimeoutMs,
    functionKey: settings.functionKey,
    masterKey: settings.masterKey,
    log,
    runNow: (name) => {
      if (!timers.has(name)) return false;
      void timers.fire(name);
      return true;
    },
  });
  const host = options.listen?.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen?.port ?? settings.port, host, resolve);
  });
  await Promise.all(queues.map((queue) => queue.start()));
  timers.start();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${port}`,
    timers,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([timers.stop(), ...queues.map((queue) => queue.stop())]);
    },
  };
}
