import { services } from '../../src/app-services.js';
import { dependencies } from '../../src/lib/dependencies.js';
import {
  type ReplicationJob,
  ReplicationWorker,
  type WorkerDeps,
} from '../../src/lib/replication/replication-worker.js';
import { tableNames } from '../../src/lib/storage/storage-names.js';

/** A replication worker like the app's, with its own queue and whatever the test changes. */
export function workerWith(queueName: string, changes: Partial<WorkerDeps> = {}): ReplicationWorker {
  const app = services();
  const { storage, settings } = dependencies();
  return new ReplicationWorker({
    tenants: storage.table(tableNames.tenants),
    replica: app.replica,
    registry: app.registry,
    secrets: app.tenantSecrets,
    tokens: app.tokens,
    outbox: app.outbox,
    queue: storage.queue<ReplicationJob>(queueName),
    graphEndpoint: settings.graphEndpoint,
    sliceMs: 60_000,
    ...changes,
  });
}
