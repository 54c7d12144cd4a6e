import { readFileSync } from 'node:fs';

/** The parts of host.json the local host honours, with the Functions host's defaults. */
export interface HostConfig {
  routePrefix: string;
  functionTimeoutMs: number;
  queues: {
    maxPollingIntervalMs: number;
    visibilityTimeoutMs: number;
    batchSize: number;
    newBatchThreshold: number;
    maxDequeueCount: number;
    messageEncoding: 'base64' | 'none';
  };
}

/** Parses a .NET TimeSpan as host.json writes it: `hh:mm:ss` or `d.hh:mm:ss`, optional fraction. */
export function parseTimeSpan(value: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(value);
  if (!match) throw new Error(`'${value}' is not a TimeSpan (hh:mm:ss).`);
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = '0'] = match;
  return (
    ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
    Number(seconds) * 1000 +
    Math.round(Number(`0.${fraction}`) * 1000)
  );
}

interface HostJson {
  functionTimeout?: string;
  extensions?: {
    http?: { routePrefix?: string };
    queues?: {
      maxPollingInterval?: string;
      visibilityTimeout?: string;
      batchSize?: number;
      newBatchThreshold?: number;
      maxDequeueCount?: number;
      messageEncoding?: string;
    };
  };
}

export function hostConfigFrom(json: HostJson): HostConfig {
  const queues = json.extensions?.queues ?? {};
  const batchSize = queues.batchSize ?? 16;
  return {
    routePrefix: (json.extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, ''),
    functionTimeoutMs: parseTimeSpan(json.functionTimeout ?? '00:05:00'),
    queues: {
      maxPollingIntervalMs: parseTimeSpan(queues.maxPollingInterval ?? '00:01:00'),
      visibilityTimeoutMs: parseTimeSpan(queues.visibilityTimeout ?? '00:00:00'),
      batchSize,
      newBatchThreshold: queues.newBatchThreshold ?? Math.floor(batchSize / 2),
      maxDequeueCount: queues.maxDequeueCount ?? 5,
      messageEncoding: queues.messageEncoding === 'none' ? 'none' : 'base64',
    },
  };
}

export function readHostConfig(path: string): HostConfig {
  return hostConfigFrom(JSON.parse(readFileSync(path, 'utf8')) as HostJson);
}
