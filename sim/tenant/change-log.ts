/**
 * An append-only log of what changed in one kind of object, stamped with the tenant's version counter, so a
 * delta link (a version) can be answered by reading only the log's tail. Each entry names an object id and,
 * for memberships, the member.
 */
export interface ChangeEntry {
  version: number;
  id: string;
  memberId?: string;
}

export class ChangeLog {
  private readonly entries: ChangeEntry[] = [];
  /** Told of each entry as it is recorded (change notifications). */
  readonly listeners = new Set<(entry: ChangeEntry) => void>();

  record(entry: ChangeEntry): void {
    this.entries.push(entry);
    for (const listener of this.listeners) listener(entry);
  }

  /** The entries after `version`, oldest first (binary search: versions only grow). */
  since(version: number): ChangeEntry[] {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.entries[middle] as ChangeEntry).version <= version) low = middle + 1;
      else high = middle;
    }
    return this.entries.slice(low);
  }
}
