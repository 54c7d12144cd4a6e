import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { services } from '../../src/app-services.js';
import { eventSigningSecret } from '../../src/lib/core-api/signing-secrets.js';
import { dependencies } from '../../src/lib/dependencies.js';
import { deliverEvent } from '../../src/lib/events/core-delivery.js';
import type { DomainEvent } from '../../src/lib/events/event-catalogue.js';
import { type DeliveryState, EventDispatcher } from '../../src/lib/events/event-dispatcher.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';
import { masterKey } from '../support/connector-fixture.js';
import { eventually } from '../support/eventually.js';
import { useConnector } from '../support/use-connector.js';

const connector = useConnector({ EVENT_RETRY_HORIZON_HOURS: '24' });

afterEach(() => {
  connector.standIn.mode = 'up';
});

const validationChanged = (
  tenantId: string,
  verdict: 'ready' | 'action_required' | 'blocked',
): DomainEvent => ({
  type: 'tenant.validation_changed',
  data: { tenantId, verdict },
});

/** Commits events to a tenant's outbox without asking for delivery, so a test drives the dispatcher itself. */
async function stageQuietly(stream: string, events: DomainEvent[], at = new Date()): Promise<string[]> {
  const transaction = services().outbox.table.transaction(stream);
  const ids = services().outbox.stage(transaction, events, at);
  await transaction.commit();
  return ids;
}

const received = (stream: string) =>
  connector.standIn.events.filter((event) => event.data.tenantId === stream);

describe('events to the core', () => {
  it('delivers an emitted event through the queue, signed, with its id as webhook-id', async () => {
    const tenant = randomUUID();
    const [id] = await services().outbox.emit(tenant, [validationChanged(tenant, 'ready')]);
    await eventually(() => received(tenant).length === 1);
    expect(received(tenant)[0]).toMatchObject({
      id,
      type: 'tenant.validation_changed',
      data: { tenantId: tenant, verdict: 'ready' },
    });
    expect(connector.standIn.rejectedSignatures).toBe(0);
    const listed = await connector.call('GET', `/events?tenantId=${tenant}`);
    await eventually(
      async () =>
        (await connector.call('GET', `/events?tenantId=${tenant}`)).body.value[0].status === 'delivered',
    );
    expect(listed.body.value[0]).toMatchObject({
      eventId: id,
      tenantId: tenant,
      type: 'tenant.validation_changed',
    });
  });

  it('keeps events while the core is away, then delivers them once each, in order', async () => {
    const tenant = randomUUID();
    const ids = await stageQuietly(tenant, [
      validationChanged(tenant, 'blocked'),
      validationChanged(tenant, 'action_required'),
      validationChanged(tenant, 'ready'),
    ]);
    const t0 = Date.now();
    connector.standIn.mode = 'down';
    expect(await services().dispatcher.dispatch(tenant, new Date(t0))).toEqual({
      delivered: 0,
      retryInSeconds: 5,
    });
    expect(await services().dispatcher.dispatch(tenant, new Date(t0 + 1000))).toEqual({
      delivered: 0,
      retryInSeconds: 4,
    });
    connector.standIn.mode = 'up';
    expect(await services().dispatcher.dispatch(tenant, new Date(t0 + 6000))).toEqual({ delivered: 3 });
    expect(received(tenant).map((event) => event.id)).toEqual(ids);
    expect(connector.standIn.deliveries.filter((id) => ids.includes(id))).toEqual(ids);
  });

  it('turns delivery off on 410 Gone, records it, and resumes in order once turned back on', async () => {
    const tenant = randomUUID();
    const ids = await stageQuietly(tenant, [
      validationChanged(tenant, 'blocked'),
      validationChanged(tenant, 'ready'),
    ]);
    connector.standIn.mode = 'gone';
    await services().dispatcher.dispatch(tenant);
    const state = await connector.call('GET', '/event-delivery');
    expect(state.body).toMatchObject({ enabled: false, reason: 'The core answered 410 Gone.' });
    expect(await services().dispatcher.dispatch(tenant)).toEqual({ delivered: 0, stopped: 'disabled' });
    connector.standIn.mode = 'up';
    expect((await connector.call('PUT', '/event-delivery', { body: { enabled: true } })).body.enabled).toBe(
      true,
    );
    await eventually(() => received(tenant).length === 2);
    expect(received(tenant).map((event) => event.id)).toEqual(ids);
  });

  it('loses nothing when the dispatcher dies between delivering and recording: the core sees a duplicate with the same id', async () => {
    const tenant = randomUUID();
    const ids = await stageQuietly(tenant, [
      validationChanged(tenant, 'blocked'),
      validationChanged(tenant, 'action_required'),
      validationChanged(tenant, 'ready'),
    ]);
    const app = services();
    let deliveries = 0;
    const crashing = new EventDispatcher({
      tenants: app.outbox.table,
      state: dependencies().storage.table<DeliveryState>(tableNames.coreDelivery),
      coreWebhookUrl: connector.standIn.eventsUrl,
      signingSecret: () => eventSigningSecret(app.secrets),
      deliver: async (url, secret, event) => {
        const result = await deliverEvent(url, secret, event);
        deliveries += 1;
        if (deliveries === 2) throw new Error('the worker died here');
        return result;
      },
      retryHorizonHours: 24,
    });
    await expect(crashing.dispatch(tenant)).rejects.toThrow('the worker died here');
    expect(received(tenant).map((event) => event.id)).toEqual(ids.slice(0, 2));
    expect(await app.dispatcher.dispatch(tenant)).toEqual({ delivered: 2 });
    expect(received(tenant).map((event) => event.id)).toEqual(ids);
    expect(connector.standIn.deliveries.filter((id) => ids.includes(id))).toEqual([
      ids[0],
      ids[1],
      ids[1],
      ids[2],
    ]);
  });

  it('gives an event up as failed past the retry horizon, and goes on with the next', async () => {
    const tenant = randomUUID();
    const now = Date.now();
    const [old] = await stageQuietly(
      tenant,
      [validationChanged(tenant, 'blocked')],
      new Date(now - 24 * 3600_000 + 2000),
    );
    const [fresh] = await stageQuietly(tenant, [validationChanged(tenant, 'ready')], new Date(now));
    connector.standIn.mode = 'down';
    const outcome = await services().dispatcher.dispatch(tenant, new Date(now));
    expect(outcome).toEqual({ delivered: 0, retryInSeconds: 5 });
    const events = (await connector.call('GET', `/events?tenantId=${tenant}`)).body.value;
    expect(events.find((event: { eventId: string }) => event.eventId === old)).toMatchObject({
      status: 'failed',
      lastStatus: 503,
    });
    expect(events.find((event: { eventId: string }) => event.eventId === fresh)).toMatchObject({
      status: 'pending',
      attempts: 1,
    });
  });

  it('rescues an event whose queue message was lost: the sweeper timer queues its stream again', async () => {
    const tenant = randomUUID();
    const [id] = await stageQuietly(tenant, [validationChanged(tenant, 'ready')]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received(tenant)).toEqual([]);
    const fired = await fetch(`${connector.host.url}/admin/functions/core-events-sweep`, {
      method: 'POST',
      headers: { 'x-functions-key': masterKey, 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    expect(fired.status).toBe(202);
    await eventually(() => received(tenant).length === 1);
    expect(received(tenant)[0]?.id).toBe(id);
  });

  it('never asks the queue for more than an hour of delay, even for an event due far ahead', async () => {
    const tenant = randomUUID();
    await stageQuietly(tenant, [validationChanged(tenant, 'ready')], new Date(Date.now() + 30 * 86_400_000));
    expect(await services().dispatcher.dispatch(tenant)).toEqual({ delivered: 0, retryInSeconds: 3600 });
  });

  it('refuses an event payload that breaks the catalogue, before anything is written', async () => {
    const tenant = randomUUID();
    await expect(
      services().outbox.emit(tenant, [
        { type: 'tenant.validation_changed', data: { tenantId: tenant, verdict: 'fine' } } as never,
      ]),
    ).rejects.toThrow();
    expect((await connector.call('GET', `/events?tenantId=${tenant}`)).body.value).toEqual([]);
  });
});
