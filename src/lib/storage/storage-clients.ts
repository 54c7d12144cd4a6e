import { TableClient, TableServiceClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { QueueServiceClient } from '@azure/storage-queue';
import type { StorageConnection } from '../config/settings.js';
import { EntityTable } from './entity-table.js';
import { MessageQueue } from './message-queue.js';

/** Only the local emulator is reached over plain http; the SDK refuses that unless told. */
const usesHttp = (connectionString: string) =>
  /UseDevelopmentStorage=true|Endpoint=http:\/\//i.test(connectionString);

/** The app's storage account: typed tables and queues built from one set of SDK clients. */
export class Storage {
  readonly tableService: TableServiceClient;
  readonly queueService: QueueServiceClient;
  private readonly tables = new Map<string, EntityTable<object>>();
  private readonly queues = new Map<string, MessageQueue<unknown>>();

  constructor(
    private readonly connection: StorageConnection,
    private readonly credential: TokenCredential,
  ) {
    if (connection.kind === 'connectionString') {
      const allowInsecureConnection = usesHttp(connection.connectionString);
      this.tableService = TableServiceClient.fromConnectionString(connection.connectionString, {
        allowInsecureConnection,
      });
      this.queueService = QueueServiceClient.fromConnectionString(connection.connectionString);
    } else {
      this.tableService = new TableServiceClient(connection.tableServiceUrl, credential);
      this.queueService = new QueueServiceClient(connection.queueServiceUrl, credential);
    }
  }

  table<T extends object>(name: string): EntityTable<T> {
    let table = this.tables.get(name);
    if (!table) {
      table = new EntityTable<object>(this.tableClient(name));
      this.tables.set(name, table);
    }
    return table as EntityTable<T>;
  }

  queue<T>(name: string): MessageQueue<T> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new MessageQueue<unknown>(this.queueService.getQueueClient(name));
      this.queues.set(name, queue);
    }
    return queue as MessageQueue<T>;
  }

  private tableClient(name: string): TableClient {
    if (this.connection.kind === 'connectionString') {
      return TableClient.fromConnectionString(this.connection.connectionString, name, {
        allowInsecureConnection: usesHttp(this.connection.connectionString),
      });
    }
    return new TableClient(this.connection.tableServiceUrl, name, this.credential);
  }
}
