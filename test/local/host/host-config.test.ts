import { describe, expect, it } from 'vitest';
import { hostConfigFrom, parseTimeSpan, readHostConfig } from '../../../local/host/host-config.js';

describe('host.json', () => {
  it.each([
    ['00:00:30', 30_000],
    ['00:10:00', 600_000],
    ['01:00:00', 3_600_000],
    ['1.02:00:00', 93_600_000],
    ['00:00:00.5', 500],
  ])('reads the TimeSpan %s', (value, ms) => {
    expect(parseTimeSpan(value)).toBe(ms);
  });

  it('refuses what is not a TimeSpan', () => {
    expect(() => parseTimeSpan('10m')).toThrow("'10m' is not a TimeSpan");
  });

  it("falls back to the Functions host's defaults", () => {
    expect(hostConfigFrom({})).toEqual({
      routePrefix: 'api',
      functionTimeoutMs: 300_000,
      queues: {
        maxPollingIntervalMs: 60_000,
        visibilityTimeoutMs: 0,
        batchSize: 16,
        newBatchThreshold: 8,
        maxDequeueCount: 5,
        messageEncoding: 'base64',
      },
    });
  });

  it("reads the project's host.json", () => {
    const config = readHostConfig('host.json');
    expect(config.routePrefix).toBe('api');
    expect(config.functionTimeoutMs).toBe(600_000);
    expect(config.queues.maxDequeueCount).toBe(5);
  });
});
