import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedEvent {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
  receivedAt: string;
}

/** `up` records events; `down` answers 503 (the core is away); `gone` answers 410 (stop sending). */
export type StandInMode = 'up' | 'down' | 'gone';

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A stand-in for the platform core, for local runs and tests: it receives the connector's events at
 * `POST /events`, verifies their Standard Webhooks signature, and keeps each event once (by webhook-id), in
 * arrival order, counting duplicates. `GET /events` lists them.
 */
export class CoreStandIn {
  readonly events: ReceivedEvent[] = [];
  /** Every delivery, duplicates included, by event id. */
  readonly deliveries: string[] = [];
  rejectedSignatures = 0;
  mode: StandInMode = 'up';

  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  get eventsUrl(): string {
    return `${this.origin}/events`;
  }

  static async start(options: { signingSecret: string; port?: number }): Promise<CoreStandIn> {
    const webhook = new Webhook(options.signingSecret);
    let standIn: CoreStandIn | undefined;
    const server = createServer(async (request, response) => {
      const self = standIn as CoreStandIn;
      const body = await readBody(request);
      if (request.method === 'GET' && request.url === '/events') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ value: self.events }));
        return;
      }
      if (request.method !== 'POST' || request.url !== '/events') {
        response.writeHead(404).end();
        return;
      }
      if (self.mode !== 'up') {
        response.writeHead(self.mode === 'gone' ? 410 : 503).end();
        return;
      }
      const headers = {
        'webhook-id': String(request.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
      };
      let payload: { type: string; timestamp: string; data: Record<string, unknown> };
      try {
        payload = webhook.verify(body, headers) as typeof payload;
      } catch {
        self.rejectedSignatures += 1;
        response.writeHead(401).end();
        return;
      }
      self.deliveries.push(headers['webhook-id']);
      if (!self.events.some((event) => event.id === headers['webhook-id'])) {
        self.events.push({ id: headers['webhook-id'], ...payload, receivedAt: new Date().toISOString() });
      }
      response.writeHead(204).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    standIn = new CoreStandIn(server, `http://localhost:${(server.address() as AddressInfo).port}`);
    return standIn;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
