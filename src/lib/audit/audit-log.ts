import { monotonicFactory } from 'ulid';
import type { EntityTable } from '../storage/entity-table.js';

/** Who did what, when, to which tenant, from where, and how it ended. Never a secret. */
export interface AuditEntry {
  actor: string;
  action: string;
  tenantId?: string;
  invitationId?: string;
  ip?: string;
  outcome: 'succeeded' | 'refused' | 'failed';
  detail?: string;
  at: string;
}

const nextUlid = monotonicFactory();

/** An append-only audit table, one partition per UTC day, rows in time order. */
export class AuditLog {
  constructor(private readonly table: EntityTable<AuditEntry>) {}

  async record(entry: Omit<AuditEntry, 'at'>, now = new Date()): Promise<void> {
    const at = now.toISOString();
    await this.table.insert({ partitionKey: at.slice(0, 10), rowKey: nextUlid(now.getTime()), ...entry, at });
  }

  async day(date: string): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    for await (const entry of this.table.listPartition(date)) entries.push(entry);
    return entries;
  }
}
