import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** Azurite's own account and key, public by design (the storage emulator's well-known credentials). */
const account = 'devstoreaccount1';
const accountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  host?: string;
  /** 0 picks free ports. */
  tablePort?: number;
  queuePort?: number;
  /** A folder to keep data in between runs; in memory when absent. */
  location?: string;
}

export interface RunningAzurite {
  tableEndpoint: string;
  queueEndpoint: string;
  connectionString: string;
  stop(): Promise<void>;
}

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

/** Starts Azurite's Table and Queue services in this process. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const host = options.host ?? '127.0.0.1';
  const location = options.location;
  if (location) mkdirSync(location, { recursive: true });
  const inMemory = !location;

  const TableConfiguration = require('azurite/dist/src/table/TableConfiguration').default;
  const TableServer = require('azurite/dist/src/table/TableServer').default;
  const QueueConfiguration = require('azurite/dist/src/queue/QueueConfiguration').default;
  const QueueServer = require('azurite/dist/src/queue/QueueServer').default;
  const queueConstants = require('azurite/dist/src/queue/utils/constants');

  const tableConfig = new TableConfiguration(
    host,
    options.tablePort ?? 0,
    undefined,
    location ? join(location, '__azurite_db_table__.json') : undefined,
    false,
    false,
    undefined,
    undefined,
    false,
    true,
    '',
    '',
    '',
    undefined,
    false,
    inMemory,
  );
  const persistence = location
    ? [
        {
          ...queueConstants.DEFAULT_QUEUE_PERSISTENCE_ARRAY[0],
          locationPath: join(location, '__queuestorage__'),
        },
      ]
    : queueConstants.DEFAULT_QUEUE_PERSISTENCE_ARRAY;
  const queueConfig = new QueueConfiguration(
    host,
    options.queuePort ?? 0,
    undefined,
    location ? join(location, '__azurite_db_queue__.json') : undefined,
    location ? join(location, '__azurite_db_queue_extent__.json') : undefined,
    persistence,
    false,
    undefined,
    false,
    undefined,
    false,
    true,
    '',
    '',
    '',
    undefined,
    false,
    inMemory,
  );
  const tables: AzuriteServer = new TableServer(tableConfig);
  const queues: AzuriteServer = new QueueServer(queueConfig);
  await tables.start();
  try {
    await queues.start();
  } catch (error) {
    await tables.close();
    throw error;
  }
  const tableEndpoint = `${tables.getHttpServerAddress()}/${account}`;
  const queueEndpoint = `${queues.getHttpServerAddress()}/${account}`;
  return {
    tableEndpoint,
    queueEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${accountKey};TableEndpoint=${tableEndpoint};QueueEndpoint=${queueEndpoint};`,
    async stop() {
      await Promise.all([tables.close(), queues.close()]);
    },
  };
}
