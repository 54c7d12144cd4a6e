import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleWorld } from '../../sim/sample-world.js';
import type { Simulator } from '../../sim/server.js';
import { eventually } from '../support/eventually.js';
import { appToken, graphFetch, registerCustomerApp, startSampleSimulator } from './sim-fixture.js';

/** How the receiver answers: as it should, or as a broken endpoint would. */
type Behaviour = 'echo' | 'wrong-echo' | 'fail-once' | 'slow-once';

/** A notification endpoint on this machine: answers the handshake, records what Graph sends. */
class Receiver {
  readonly handshakes: string[] = [];
  readonly received: Record<string, unknown>[][] = [];
  behaviour: Behaviour = 'echo';
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const token = new URL(request.url ?? '/', 'http://localhost').searchParams.get('validationToken');
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        if (token !== null) {
          this.handshakes.push(token);
          response.writeHead(200, { 'content-type': 'text/plain' });
          response.end(this.behaviour === 'wrong-echo' ? `${token}x` : token);
          return;
        }
        const value = (JSON.parse(body) as { value: Record<string, unknown>[] }).value;
        if (this.behaviour === 'fail-once' || this.behaviour === 'slow-once') {
          const slow = this.behaviour === 'slow-once';
          this.behaviour = 'echo';
          if (slow) setTimeout(() => response.writeHead(202).end(), 3_500);
          else response.writeHead(500).end();
          return;
        }
        this.received.push(value);
        response.writeHead(202).end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

let simulator: Simulator;
let world: SampleWorld;
const receiver = new Receiver();

beforeAll(async () => {
  ({ simulator, world } = await startSampleSimulator());
  simulator.control.setGraphConfig({ subscriptionHttpUrls: true, notificationRetryMs: 100 });
  await receiver.start();
});
afterAll(async () => {
  await receiver.stop();
  await simulator?.stop();
});

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

async function appGraph(permissions: string[]) {
  const tenantId = (world.tenants[0] as { id: string }).id;
  const { clientId, clientSecret } = registerCustomerApp(simulator, tenantId, permissions);
  return {
    tenantId,
    graph: graphFetch(simulator, await appToken(simulator, tenantId, clientId, clientSecret)),
  };
}

const subscribe = (resource: string, extra: Record<string, unknown> = {}) => ({
  changeType: 'created,updated,deleted',
  notificationUrl: receiver.url,
  lifecycleNotificationUrl: `${receiver.url}?lifecycle=1`,
  resource,
  expirationDateTime: inMinutes(60),
  clientState: 'a-secret-client-state',
  ...extra,
});

describe('the simulated Graph change notifications (users and groups)', () => {
  it('creates a subscription only after the handshake on both URLs, then sends user and group changes with the client state', async () => {
    const { tenantId, graph } = await appGraph(['User.Read.All', 'Group.Read.All']);
    const before = receiver.handshakes.length;
    const users = await graph('/subscriptions', {
      method: 'POST',
      body: JSON.stringify(subscribe('/users')),
    });
    expect(users.status).toBe(201);
    expect(users.body).toMatchObject({
      resource: '/users',
      changeType: 'created,updated,deleted',
      clientState: null,
    });
    expect(receiver.handshakes.length).toBe(before + 2);
    const groups = await graph('/subscriptions', {
      method: 'POST',
      body: JSON.stringify(subscribe('/groups')),
    });
    expect(groups.status).toBe(201);

    const tenant = simulator.directory.tenant(tenantId);
    const [someone] = tenant.users.keys();
    const [group] = tenant.groups.keys();
    simulator.control.updateUser(tenantId, someone as string, { displayName: 'Notified Person' });
    simulator.control.updateGroup(tenantId, group as string, { description: 'Notified group' });
    await eventually(() => receiver.received.flat().length >= 2, 5_000);
    const sent = receiver.received.flat();
    expect(sent).toContainEqual(
      expect.objectContaining({
        subscriptionId: users.body.id,
        changeType: 'updated',
        resource: `Users/${someone}`,
        resourceData: expect.objectContaining({ id: someone, '@odata.type': '#Microsoft.Graph.User' }),
        clientState: 'a-secret-client-state',
        tenantId,
      }),
    );
    expect(sent).toContainEqual(
      expect.objectContaining({ subscriptionId: groups.body.id, resource: `Groups/${group}` }),
    );

    // Deleted: no more notifications.
    expect((await graph(`/subscriptions/${users.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await graph(`/subscriptions/${users.body.id}`)).status).toBe(404);
    expect((await graph(`/subscriptions/${groups.body.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('refuses what Graph refuses: no permission, too long a life, a client state over 128 characters, an http URL, a failed handshake', async () => {
    const { graph: usersOnly } = await appGraph(['User.Read.All']);
    expect(
      (await usersOnly('/subscriptions', { method: 'POST', body: JSON.stringify(subscribe('/groups')) }))
        .status,
    ).toBe(403);
    const { graph } = await appGraph(['User.Read.All']);
    const tooLong = await graph('/subscriptions', {
      method: 'POST',
      body: JSON.stringify(subscribe('/users', { expirationDateTime: inMinutes(41_761) })),
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toContain('41760 minutes');
    const state = await graph('/subscriptions', {
      method: 'POST',
      body: JSON.stringify(subscribe('/users', { clientState: 'x'.repeat(129) })),
    });
    expect(state.status).toBe(400);
    receiver.behaviour = 'wrong-echo';
    const handshake = await graph('/subscriptions', {
      method: 'POST',
      body: JSON.stringify(subscribe('/users')),
    });
    receiver.behaviour = 'echo';
    expect(handshake.status).toBe(400);
    expect(handshake.body.error.message).toContain('must exactly match validationToken');
    simulator.control.setGraphConfig({ subscriptionHttpUrls: false });
    const http = await graph('/subscriptions', { method: 'POST', body: JSON.stringify(subscribe('/users')) });
    simulator.control.setGraphConfig({ subscriptionHttpUrls: true });
    expect(http.status).toBe(400);
    expect((await graph('/subscriptions')).body.value).toEqual([]);
  });

  it('sends a batch again when the answer is not 2xx or comes after 3 s; renews; sends lifecycle events', async () => {
    const { tenantId, graph } = await appGraph(['User.Read.All']);
    const created = await graph('/subscriptions', {
      method: 'POST',
      body: JSON.stringify(subscribe('/users')),
    });
    const [someone] = simulator.directory.tenant(tenantId).users.keys();
    const attempts = () =>
      simulator.graph.subscriptions.deliveries.filter((delivery) =>
        delivery.body.value.some((notification) => notification.subscriptionId === created.body.id),
      );
    for (const behaviour of ['fail-once', 'slow-once'] as const) {
      const made = attempts().length;
      receiver.behaviour = behaviour;
      simulator.control.updateUser(tenantId, someone as string, { displayName: `After ${behaviour}` });
      // Until the batch was sent again and answered (a slow answer is received at once, but fails the attempt).
      await eventually(() => attempts().length === made + 2 && attempts().at(-1)?.status === 202, 15_000);
    }
    expect(attempts().map((delivery) => delivery.status)).toEqual([500, 202, 0, 202]);

    const renewed = await graph(`/subscriptions/${created.body.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ expirationDateTime: inMinutes(41_000) }),
    });
    expect(renewed.status).toBe(200);
    expect(Date.parse(renewed.body.expirationDateTime)).toBeGreaterThan(Date.now() + 40_000 * 60_000);

    const lifecycleStatus = await simulator.graph.subscriptions.lifecycle(
      created.body.id,
      'reauthorizationRequired',
    );
    expect(lifecycleStatus).toBe(202);
    expect(receiver.received.flat()).toContainEqual(
      expect.objectContaining({ subscriptionId: created.body.id, lifecycleEvent: 'reauthorizationRequired' }),
    );
  });
});
