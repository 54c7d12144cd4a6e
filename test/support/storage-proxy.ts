import { createServer, request as forward, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One entity group transaction on its way to the table service, as the proxy saw it. */
export interface BatchSeen {
  /** The table its operations write (every operation of a transaction is in one table and partition). */
  table: string;
  /** The multipart body, for predicates that look at what it writes. */
  body: string;
}

/** One single-entity write (insert, update, merge, delete) on its way to the table service. */
export interface WriteSeen {
  table: string;
  method: string;
  /** The request path: `Tenants` for an insert, `Tenants(PartitionKey='…',RowKey='…')` otherwise. */
  path: string;
  body: string;
}

/**
 * What to do with a batch: let it through, kill the host before it reaches storage or after it committed, or
 * answer as a storage account past its scalability targets does (503 ServerBusy, nothing written).
 */
export type Verdict = 'forward' | Kill | 'busy';
export type Kill = 'kill-before' | 'kill-after';

const serverBusy = {
  status: 503,
  headers: { 'content-type': 'application/json;odata=minimalmetadata', 'x-ms-error-code': 'ServerBusy' },
  body: Buffer.from(
    JSON.stringify({
      'odata.error': {
        code: 'ServerBusy',
        message: { lang: 'en-US', value: 'The server is busy.' },
      },
    }),
  ),
};

const operationLine = /^(?:POST|PUT|PATCH|MERGE|DELETE) \S+?\/devstoreaccount1\/([A-Za-z0-9]+)[(\s]/m;

/**
 * A proxy in front of Azurite's table endpoint for the host under test: it sees each transaction (`$batch`) the
 * host sends, asks `judge` what to do with it, and can kill the host at that moment: before the transaction
 * reaches storage, or once storage committed it but before the host hears so. Once it killed, it drops whatever
 * else the dead host still had in flight, until `revive` (a new host started).
 */
export class StorageProxy {
  private dead = false;
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  judge: (batch: BatchSeen) => Verdict = () => 'forward';
  /** The same for single-entity writes (they are not transactions, so `judge` does not see them). */
  judgeWrite: (write: WriteSeen) => Verdict = () => 'forward';
  kill: () => void = () => undefined;

  static async start(target: string): Promise<StorageProxy> {
    const upstream = new URL(target);
    let proxy: StorageProxy | undefined;
    const server = createServer((incoming, outgoing) => {
      proxy?.handle(incoming, upstream).then(
        (answer) => {
          if (!answer) {
            outgoing.destroy();
            return;
          }
          outgoing.writeHead(answer.status, answer.headers);
          outgoing.end(answer.body);
        },
        () => outgoing.destroy(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    proxy = new StorageProxy(server, `http://127.0.0.1:${port}${upstream.pathname}`);
    return proxy;
  }

  /**
   * Kills the host once, at the first write or transaction that matches (before storage takes it, or after),
   * then lets everything through again; resolves once the host is dead.
   */
  killAtFirst(
    match: { write?: (write: WriteSeen) => boolean; batch?: (batch: BatchSeen) => boolean },
    verdict: Kill,
  ): Promise<void> {
    return new Promise((killed) => {
      const strike = (): Verdict => {
        this.judge = () => 'forward';
        this.judgeWrite = () => 'forward';
        setImmediate(killed);
        return verdict;
      };
      this.judgeWrite = (write) => (match.write?.(write) ? strike() : 'forward');
      this.judge = (batch) => (match.batch?.(batch) ? strike() : 'forward');
    });
  }

  /**
   * The crash suites' one kill point: the first write to the `Tenants` table of a workflow's row (`row`, a pattern
   * of its key, escaped or not) that records `state` in it, alone or in a transaction (and that `also` accepts,
   * e.g. of one tenant); resolves once the host is dead.
   */
  killAtState(
    row: RegExp,
    state: string,
    verdict: Kill,
    also: (text: string) => boolean = () => true,
  ): Promise<void> {
    const records = (text: string) => row.test(text) && text.includes(`"state":"${state}"`) && also(text);
    return this.killAtFirst(
      {
        write: (write) => write.table === 'Tenants' && records(write.path + write.body),
        batch: (batch) => batch.table === 'Tenants' && records(batch.body),
      },
      verdict,
    );
  }

  /** A new host is up: its requests go through again. */
  revive(): void {
    this.dead = false;
  }

  private async handle(
    incoming: IncomingMessage,
    upstream: URL,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer } | undefined> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (this.dead) return undefined;
    let verdict: Verdict = 'forward';
    const method = incoming.method ?? 'GET';
    if (method === 'POST' && incoming.url?.includes('$batch')) {
      const text = body.toString('utf8');
      verdict = this.judge({ table: operationLine.exec(text)?.[1] ?? '', body: text });
    } else if (['POST', 'PUT', 'PATCH', 'MERGE', 'DELETE'].includes(method)) {
      const path = decodeURIComponent(incoming.url ?? '').replace(/^\/devstoreaccount1\//, '');
      const table = /^[A-Za-z0-9]+/.exec(path)?.[0] ?? '';
      verdict = this.judgeWrite({ table, method, path, body: body.toString('utf8') });
    }
    if (verdict === 'kill-before') {
      this.die();
      return undefined;
    }
    if (verdict === 'busy') return serverBusy;
    const answer = await this.send(incoming, body, upstream);
    if (verdict === 'kill-after') {
      this.die();
      return undefined;
    }
    return this.dead ? undefined : answer;
  }

  private die(): void {
    this.dead = true;
    this.kill();
  }

  private send(incoming: IncomingMessage, body: Buffer, upstream: URL) {
    return new Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }>(
      (resolve, reject) => {
        const headers = { ...incoming.headers, host: upstream.host };
        const request = forward(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: incoming.method,
            path: incoming.url,
            headers,
          },
          async (response) => {
            const parts: Buffer[] = [];
            for await (const part of response) parts.push(part as Buffer);
            const answerHeaders: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(response.headers))
              if (value !== undefined) answerHeaders[name] = value;
            resolve({
              status: response.statusCode ?? 502,
              headers: answerHeaders,
              body: Buffer.concat(parts),
            });
          },
        );
        request.on('error', reject);
        request.end(body);
      },
    );
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
