import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hostConfigFrom } from '../../../local/host/host-config.js';
import type { HostLog } from '../../../local/host/invoke.js';
import { type RunningHost, startLocalHost } from '../../../local/host/local-host.js';
import { registeredFunctions } from '../../../src/lib/hosting/function-registry.js';
import { until } from '../../support/eventually.js';
import { seen } from './fixtures/sample-functions.js';

const functionKey = 'function-key-for-tests';
const masterKey = 'master-key-for-tests';
const logLines: string[] = [];
const log: HostLog = (level, message) => logLines.push(`${level}: ${message}`);
let host: RunningHost;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const waitFor = async (condition: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
};

beforeAll(async () => {
  host = await startLocalHost({
    definitions: registeredFunctions(),
    hostConfig: hostConfigFrom({
      functionTimeout: '00:00:05',
      extensions: {
        queues: {
          maxPollingInterval: '00:00:00.2',
          visibilityTimeout: '00:00:00',
          maxDequeueCount: 3,
          batchSize: 4,
        },
      },
    }),
    settings: {
      values: { AzureWebJobsStorage: inject('storageConnectionString'), TICK_SCHEDULE: '*/1 * * * * *' },
      port: 0,
      functionKey,
      masterKey,
      queueMessageLeaseSeconds: 1,
    },
    listen: { port: 0 },
    log,
  });
});

afterAll(async () => {
  await host?.stop();
});

describe('local host: HTTP', () => {
  it('serves a route with parameters, query, JSON body and cookies', async () => {
    const response = await fetch(`${host.url}/api/items/42/widget?colour=red`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toEqual({ id: '42', name: 'widget', colour: 'red' });
    expect(response.headers.get('set-cookie')).toBe('visited=yes; Path=/api; HttpOnly; Secure; SameSite=Lax');
  });

  it('hands a function a repeated query parameter comma-joined, as the Functions host does', async () => {
    const response = await fetch(`${host.url}/api/items/42/widget?colour=red&colour=blue`);
    expect(await response.json()).toMatchObject({ colour: 'red,blue' });
  });

  it('takes the first route in function-name order whose template matches, not the most specific one', async () => {
    expect(await (await fetch(`${host.url}/api/ordered/literal`)).text()).toBe('ordered-a-parameter');
    expect(await (await fetch(`${host.url}/api/ordered/other`)).text()).toBe('ordered-a-parameter');
  });

  it('serves an optional parameter left out', async () => {
    const response = await fetch(`${host.url}/api/items/7`);
    expect(await response.json()).toMatchObject({ id: '7', name: null });
  });

  it.each([
    ['a path no route has', '/api/nothing-here', 404],
    ['a constraint that fails', '/api/items/not-a-number', 404],
    ['a path outside the route prefix', '/items/42', 404],
  ])('answers 404 for %s', async (_, path, status) => {
    expect((await fetch(`${host.url}${path}`)).status).toBe(status);
  });

  it('answers 404 for a method no route at the path takes, as the Functions host does', async () => {
    expect((await fetch(`${host.url}/api/items/42`, { method: 'DELETE' })).status).toBe(404);
  });

  it.each([
    ['no key', {}, '', 401],
    ['a wrong key', { 'x-functions-key': 'nope' }, '', 401],
    ['the function key in the header', { 'x-functions-key': functionKey }, '', 201],
    ['the function key as code', {}, `?code=${functionKey}`, 201],
    ['the master key', { 'x-functions-key': masterKey }, '', 201],
  ])('a function-level route given %s answers %i', async (_, headers, query, status) => {
    const response = await fetch(`${host.url}/api/secure/echo${query}`, {
      method: 'POST',
      headers,
      body: 'hello',
    });
    expect(response.status).toBe(status);
    if (status === 201) {
      expect(await response.text()).toBe('echoed');
      expect(response.headers.get('x-echo-length')).toBe('5');
    }
  });

  it('an admin-level route takes only the master key', async () => {
    const get = (key: string) =>
      fetch(`${host.url}/api/secure/admin`, { headers: { 'x-functions-key': key } });
    expect((await get(functionKey)).status).toBe(401);
    expect((await get(masterKey)).status).toBe(204);
  });

  it('answers 500 without details when a handler throws, and logs the error', async () => {
    const response = await fetch(`${host.url}/api/boom`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('internal detail');
    expect(logLines.some((line) => line.includes("Executed 'Functions.boom' (Failed"))).toBe(true);
  });
});

describe('local host: timers', () => {
  it('fires a timer on its NCRONTAB schedule read from a setting', async () => {
    await waitFor(() => seen.ticks.length >= 1, 3000);
    expect(seen.ticks[0]).toEqual({ isPastDue: false });
  });

  it('fires a timer now through POST /admin/functions/{name} with the master key', async () => {
    const before = seen.nightly.length;
    const fire = (key: string) =>
      fetch(`${host.url}/admin/functions/nightly`, {
        method: 'POST',
        headers: { 'x-functions-key': key, 'content-type': 'application/json' },
        body: '{"input": ""}',
      });
    expect((await fire(functionKey)).status).toBe(401);
    expect((await fire(masterKey)).status).toBe(202);
    await waitFor(() => seen.nightly.length === before + 1);
    expect(new Date(seen.nightly.at(-1)?.scheduleNext ?? '').getUTCHours()).toBe(2);
  });

  it('answers 404 for a function that is not a timer', async () => {
    const response = await fetch(`${host.url}/admin/functions/get-item`, {
      method: 'POST',
      headers: { 'x-functions-key': masterKey },
    });
    expect(response.status).toBe(404);
  });
});

describe('local host: queue triggers', () => {
  const service = () => QueueServiceClient.fromConnectionString(inject('storageConnectionString'));
  const send = (payload: unknown) =>
    service()
      .getQueueClient('fixture-work')
      .sendMessage(Buffer.from(JSON.stringify(payload)).toString('base64'));

  it('hands a base64 JSON message to the function, parsed, with its dequeue count, then deletes it', async () => {
    await send({ job: 'first' });
    await waitFor(() => seen.work.some((entry) => (entry.payload as { job?: string }).job === 'first'));
    const entry = seen.work.find((e) => (e.payload as { job?: string }).job === 'first');
    expect(entry).toEqual({ payload: { job: 'first' }, dequeueCount: 1, text: '{"job":"first"}' });
    await sleep(300);
    const properties = await service().getQueueClient('fixture-work').getProperties();
    expect(properties.approximateMessagesCount).toBe(0);
  });

  it('keeps a message taken while its function runs past the message lease, renewing it', async () => {
    await service()
      .getQueueClient('fixture-slow-work')
      .sendMessage(Buffer.from(JSON.stringify({ job: 'long', ms: 2_600 })).toString('base64'));
    await waitFor(() => seen.slow.length === 1);
    const queue = service().getQueueClient('fixture-slow-work');
    const left = await until(
      async () => (await queue.getProperties()).approximateMessagesCount,
      (count) => count === 0,
    );
    expect(left).toBe(0);
    expect(seen.slow).toEqual([{ payload: { job: 'long', ms: 2_600 }, dequeueCount: 1 }]);
    expect(logLines.filter((line) => line.includes('lease not renewed'))).toEqual([]);
  });

  it('retries a failing message and moves it to the poison queue after maxDequeueCount', async () => {
    await send({ job: 'doomed', fail: true });
    const attempts = () => seen.work.filter((e) => (e.payload as { job?: string }).job === 'doomed');
    await waitFor(() => attempts().length === 3);
    expect(attempts().map((attempt) => attempt.dequeueCount)).toEqual([1, 2, 3]);
    const poison = service().getQueueClient('fixture-work-poison');
    await sleep(500);
    const [poisoned] = (await poison.receiveMessages()).receivedMessageItems;
    expect(JSON.parse(Buffer.from(poisoned?.messageText ?? '', 'base64').toString())).toEqual({
      job: 'doomed',
      fail: true,
    });
    expect(attempts()).toHaveLength(3);
    expect(logLines.some((line) => line.includes("moved to 'fixture-work-poison'"))).toBe(true);
  });
});
