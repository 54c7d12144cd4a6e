import type { TableClient, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { isNotFound, translateStorageError } from './storage-errors.js';
import { tableFilter } from './table-filters.js';
import { escapeKey, unescapeKey } from './table-keys.js';

/** An entity as the domain sees it: logical (unescaped) keys plus typed properties. */
export type Entity<T extends object> = T & { partitionKey: string; rowKey: string };

/** An entity read from the table with the etag that a later conditional write must pass. */
export type Stored<T extends object> = { entity: Entity<T>; etag: string };

declare const rowType: unique symbol;
/**
 * A row key that says which kind of row it names, so a table holding several kinds (one partition owner's union)
 * reads each one with its own type and no cast. A plain string is a key too, of the table's whole union.
 */
export type RowKey<R> = string & { readonly [rowType]?: R };
export const rowKey = <R>(key: string): RowKey<R> => key as RowKey<R>;

/** Table Storage transactions hold at most 100 operations and 4 MiB, all in one partition. */
export const maxTransactionOperations = 100;
const maxTransactionBytes = 4 * 1024 * 1024 - 64 * 1024;

const systemProperties = new Set(['etag', 'timestamp', 'odata.metadata']);

/**
 * A typed table. Keys are escaped on the way in and unescaped on the way out, every update and delete is
 * conditional on an etag (the SDK defaults to unconditional `*`), and bulk upserts go in transactions.
 */
export class EntityTable<T extends object> {
  private ready: Promise<void> | undefined;

  constructor(private readonly client: TableClient) {}

  /** Creates the table on first use in this process (createTable ignores an existing table). */
  private ensureTable(): Promise<void> {
    this.ready ??= this.client.createTable().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  get name(): string {
    return this.client.tableName;
  }

  async get<R extends T = T>(partitionKey: string, key: RowKey<R>): Promise<Stored<R> | undefined> {
    await this.ensureTable();
    try {
      const result = await this.client.getEntity<R>(escapeKey(partitionKey), escapeKey(key));
      return { entity: this.fromStored<R>(result), etag: result.etag };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Inserts a new entity; an EntityExistsError when one with the same keys exists. Returns its etag. */
  async insert(entity: Entity<T>): Promise<string> {
    await this.ensureTable();
    try {
      const response = await this.client.createEntity(this.toStored(entity));
      return response.etag ?? '';
    } catch (error) {
      return translateStorageError(error, `insert into ${this.name}`);
    }
  }

  /** Replaces an entity only if it still has `etag`; a ConcurrencyError otherwise. Returns the new etag. */
  async update(entity: Entity<T>, etag: string): Promise<string> {
    await this.ensureTable();
    try {
      const response = await this.client.updateEntity(this.toStored(entity), 'Replace', { etag });
      return response.etag ?? '';
    } catch (error) {
      return translateStorageError(error, `update in ${this.name}`);
    }
  }

  /** Deletes an entity only if it still has `etag`; a ConcurrencyError otherwise. */
  async delete(partitionKey: string, rowKey: string, etag: string): Promise<void> {
    await this.ensureTable();
    try {
      await this.client.deleteEntity(escapeKey(partitionKey), escapeKey(rowKey), { etag });
    } catch (error) {
      translateStorageError(error, `delete from ${this.name}`);
    }
  }

  /**
   * Entities matching an OData filter (build it with `odata` from @azure/data-tables), with their etags; only
   * the `select`ed properties when given.
   */
  async *query<R extends T = T>(filter: string, select?: string[]): AsyncIterable<Stored<R>> {
    await this.ensureTable();
    for await (const stored of this.client.listEntities<R>({ queryOptions: { filter, select } })) {
      yield { entity: this.fromStored<R>(stored), etag: stored.etag };
    }
  }

  /**
   * One page of a query (at most `size` rows, maybe none while more follow) and the token of the next, none at
   * the end: for a caller that pages across requests.
   */
  async page<R extends T = T>(
    filter: string,
    options: { size: number; continuationToken?: string; select?: string[] },
  ): Promise<{ entities: Entity<R>[]; continuationToken?: string }> {
    await this.ensureTable();
    const pages = this.client
      .listEntities<R>({ queryOptions: { filter, select: options.select } })
      .byPage({ maxPageSize: options.size, continuationToken: options.continuationToken });
    const { value } = await pages.next();
    const page = (value ?? []) as TableEntityResult<R>[] & { continuationToken?: string };
    return {
      entities: page.map((stored) => this.fromStored<R>(stored)),
      ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
    };
  }

  /**
   * The rows of one partition whose keys start with `prefix` (a row kind, say), in key order; `where` narrows
   * further (an OData clause from `tableFilter`).
   */
  queryPrefix<R extends T = T>(
    partitionKey: string,
    prefix: string | RowKey<R>,
    options: { where?: string; select?: string[] } = {},
  ): AsyncIterable<Stored<R>> {
    return this.query<R>(
      tableFilter.and(
        tableFilter.partition(partitionKey),
        tableFilter.rowKeysStartingWith(prefix),
        options.where,
      ),
      options.select,
    );
  }

  /**
   * Several writes to one partition that succeed or fail together (an entity group transaction): e.g. a state
   * change and the event that reports it. Rows may be of any shape.
   */
  transaction(partitionKey: string): TableTransaction {
    return new TableTransaction(this.client, escapeKey(partitionKey), () => this.ensureTable());
  }

  /** Every entity of one partition. */
  async *listPartition(partitionKey: string): AsyncIterable<Entity<T>> {
    await this.ensureTable();
    const filter = tableFilter.partition(partitionKey);
    for await (const stored of this.client.listEntities<T>({ queryOptions: { filter } })) {
      yield this.fromStored(stored);
    }
  }

  /**
   * Deletes the entities a filter selects, at most `limit` of them, in transactions of up to 100 per partition;
   * returns how many went. Meant for one deleter at a time (a row gone between the query and the delete fails its
   * transaction, and the next call queries again).
   */
  async deleteWhere(filter: string, limit: number): Promise<number> {
    await this.ensureTable();
    const byPartition = new Map<string, string[]>();
    let count = 0;
    for await (const stored of this.client.listEntities({
      queryOptions: { filter, select: ['PartitionKey', 'RowKey'] },
    })) {
      const keys = byPartition.get(stored.partitionKey ?? '') ?? [];
      keys.push(stored.rowKey ?? '');
      byPartition.set(stored.partitionKey ?? '', keys);
      if (++count >= limit) break;
    }
    for (const [partitionKey, rowKeys] of byPartition)
      for (let start = 0; start < rowKeys.length; start += 100) {
        const actions = rowKeys
          .slice(start, start + 100)
          .map((rowKey): TransactionAction => ['delete', { partitionKey, rowKey }]);
        try {
          await this.client.submitTransaction(actions);
        } catch (error) {
          translateStorageError(error, `delete from ${this.name}`);
        }
      }
    return count;
  }

  /**
   * Upserts (replace) many entities, grouped by partition into transactions of at most 100 operations and
   * under the 4 MiB payload limit. Each transaction is atomic; the whole call is not. Returns how many
   * transactions were sent.
   */
  async upsertMany(entities: readonly Entity<T>[]): Promise<number> {
    await this.ensureTable();
    let transactions = 0;
    for (const batch of planTransactions(entities.map((entity) => this.toStored(entity)))) {
      const actions = batch.map((entity): TransactionAction => ['upsert', entity, 'Replace']);
      try {
        await this.client.submitTransaction(actions);
      } catch (error) {
        translateStorageError(error, `transaction on ${this.name}`);
      }
      transactions += 1;
    }
    return transactions;
  }

  private toStored(entity: Entity<T>): Entity<T> {
    return { ...entity, partitionKey: escapeKey(entity.partitionKey), rowKey: escapeKey(entity.rowKey) };
  }

  private fromStored<R extends T>(stored: TableEntityResult<R>): Entity<R> {
    const entity = Object.fromEntries(
      Object.entries(stored).filter(([name]) => !systemProperties.has(name)),
    ) as Entity<R>;
    entity.partitionKey = unescapeKey(stored.partitionKey ?? '');
    entity.rowKey = unescapeKey(stored.rowKey ?? '');
    return entity;
  }
}

type Keyed = { partitionKey: string; rowKey: string };

/**
 * Splits entities into transaction batches: one partition each, at most 100 operations and under the
 * payload limit. A later copy of the same keys replaces an earlier one (a transaction may name an entity once).
 */
export function planTransactions<E extends Keyed>(entities: readonly E[]): E[][] {
  const byPartition = new Map<string, Map<string, E>>();
  for (const entity of entities) {
    const partition = byPartition.get(entity.partitionKey) ?? new Map<string, E>();
    partition.set(entity.rowKey, entity);
    byPartition.set(entity.partitionKey, partition);
  }
  const batches: E[][] = [];
  for (const partition of byPartition.values()) {
    let batch: E[] = [];
    let bytes = 0;
    for (const entity of partition.values()) {
      const size = Buffer.byteLength(JSON.stringify(entity), 'utf8');
      if (
        batch.length === maxTransactionOperations ||
        (batch.length > 0 && bytes + size > maxTransactionBytes)
      ) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(entity);
      bytes += size;
    }
    if (batch.length > 0) batches.push(batch);
  }
  return batches;
}

type Row = { rowKey: string } & Record<string, unknown>;

/**
 * A batch of writes to one partition, committed atomically (at most 100, each row once). Deletes here are
 * unconditional (the SDK sends transactional deletes without an etag): use them only under a lease.
 */
export class TableTransaction {
  private readonly actions: TransactionAction[] = [];

  constructor(
    private readonly client: TableClient,
    private readonly partitionKey: string,
    private readonly ready: () => Promise<void>,
  ) {}

  private keyed(row: Row) {
    return { ...row, partitionKey: this.partitionKey, rowKey: escapeKey(row.rowKey) };
  }

  insert(row: Row): this {
    this.actions.push(['create', this.keyed(row)]);
    return this;
  }

  update(row: Row, etag: string): this {
    this.actions.push(['update', this.keyed(row), 'Replace', { etag }]);
    return this;
  }

  upsert(row: Row): this {
    this.actions.push(['upsert', this.keyed(row), 'Replace']);
    return this;
  }

  /** Writes only the given properties, keeping the row's others (insert when absent). */
  merge(row: Row): this {
    this.actions.push(['upsert', this.keyed(row), 'Merge']);
    return this;
  }

  /** Deletes whatever is there (no etag: see above). */
  deleteUnconditionally(rowKey: string): this {
    this.actions.push(['delete', { partitionKey: this.partitionKey, rowKey: escapeKey(rowKey) }]);
    return this;
  }

  get size(): number {
    return this.actions.length;
  }

  async commit(): Promise<void> {
    if (this.actions.length === 0) return;
    if (this.actions.length > maxTransactionOperations) {
      throw new RangeError(`A transaction holds at most ${maxTransactionOperations} operations.`);
    }
    await this.ready();
    try {
      await this.client.submitTransaction(this.actions);
    } catch (error) {
      translateStorageError(error, `transaction on ${this.client.tableName}`);
    }
  }
}
