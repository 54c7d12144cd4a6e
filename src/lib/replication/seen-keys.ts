import { createHash } from 'node:crypto';

/** What a full enumeration keeps of a row it saw unchanged: 64 bits of its key's hash, as 11 base64url characters. */
export function seenMark(rowKey: string): string {
  return createHash('sha256').update(rowKey).digest().subarray(0, 8).toString('base64url');
}

const markValue = (mark: string): bigint => Buffer.from(mark, 'base64url').readBigUInt64BE(0);

/** A row key as 64 bits of its hash (what a mark holds), for indexes of hundreds of thousands of rows. */
export const keyBits = (rowKey: string): bigint => markValue(seenMark(rowKey));

/**
 * The rows a full enumeration saw unchanged, by mark (8 bytes a row: a 100,000-user tenant's ~600,000 users and
 * memberships take 5 MB, not the ~70 MB of their keys). Two keys share a mark with a chance of about n²/2⁶⁵
 * (1 in 10⁸ for 600,000 rows); a row that left and shares the mark of one that was seen would stay until the next
 * full enumeration.
 */
export class SeenKeys {
  private marks = new BigUint64Array(1024);
  private size = 0;
  private sorted = true;

  add(mark: string): void {
    if (this.size === this.marks.length) {
      const grown = new BigUint64Array(Math.max(1024, this.marks.length * 2));
      grown.set(this.marks);
      this.marks = grown;
    }
    this.marks[this.size++] = markValue(mark);
    this.sorted = false;
  }

  get count(): number {
    return this.size;
  }

  has(rowKey: string): boolean {
    return this.hasBits(keyBits(rowKey));
  }

  /** Whether a key given as its 64 bits (`keyBits`) was seen. */
  hasBits(wanted: bigint): boolean {
    if (!this.sorted) {
      this.marks = this.marks.slice(0, this.size).sort();
      this.sorted = true;
    }
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const value = this.marks[middle] as bigint;
      if (value === wanted) return true;
      if (value < wanted) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }
}
