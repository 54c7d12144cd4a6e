import type { RowState } from './replica-planner.js';
import { replicaBucket } from './replica-rows.js';
import { keyBits, type SeenKeys } from './seen-keys.js';

/** A fingerprint (replica-rows.ts) as the 64 bits an index keeps of it. */
export const fingerprintBits = (hash: string): bigint =>
  Buffer.from(hash.slice(0, 11), 'base64url').readBigUInt64BE(0);

/**
 * The stored state of every row of a kind of one tenant, read once by partition range queries (only the key,
 * fingerprint and generation), for a full enumeration to compare Graph's pages with instead of reading each row
 * by its key, and to find the partitions that hold rows it did not see: 18 bytes a row (a 100,000-user tenant's
 * ~600,000 users and memberships take 11 MB). Keys and
 * fingerprints are kept as 64 bits of their hashes: two keys share them with a chance of about n²/2⁶⁵ (as
 * SeenKeys), and a changed row keeps its old fingerprint's 64 bits with a chance of 2⁻⁶⁴.
 */
export class StoredStateIndex {
  private keys = new BigUint64Array(1024);
  private fingerprints = new BigUint64Array(1024);
  /** 1 where the row is stamped with the generation the index was read for. */
  private stamped = new Uint8Array(1024);
  private buckets = new Uint8Array(1024);
  private size = 0;
  private order: Uint32Array | undefined;

  constructor(private readonly generation: string) {}

  get count(): number {
    return this.size;
  }

  add(rowKey: string, hash: string | undefined, gen: string | undefined): void {
    if (this.size === this.keys.length) this.grow();
    this.keys[this.size] = keyBits(rowKey);
    this.fingerprints[this.size] = hash ? fingerprintBits(hash) : 0n;
    this.stamped[this.size] = gen === this.generation ? 1 : 0;
    this.buckets[this.size] = replicaBucket(rowKey);
    this.size += 1;
    this.order = undefined;
  }

  /** The row's state, or undefined when no such row was stored. */
  get(rowKey: string): RowState | undefined {
    const order = this.sorted();
    const wanted = keyBits(rowKey);
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = order[middle] as number;
      const value = this.keys[at] as bigint;
      if (value === wanted)
        return {
          fingerprint: this.fingerprints[at] as bigint,
          gen: this.stamped[at] ? this.generation : '',
        };
      if (value < wanted) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /**
   * The buckets (partitions) holding a row that is neither stamped with the generation nor in any of `seen` (rows
   * seen unchanged, rows stored since): the only places a row the enumeration did not show can be, as every row
   * stored since the index was read was stored stamped.
   */
  bucketsNotSeen(...seen: SeenKeys[]): number[] {
    const found = new Set<number>();
    for (let at = 0; at < this.size; at += 1) {
      const key = this.keys[at] as bigint;
      if (!this.stamped[at] && !seen.some((keys) => keys.hasBits(key))) found.add(this.buckets[at] as number);
    }
    return [...found].sort((a, b) => a - b);
  }

  private sorted(): Uint32Array {
    if (!this.order) {
      const keys = this.keys;
      this.order = Uint32Array.from({ length: this.size }, (_, i) => i).sort((a, b) => {
        const [x, y] = [keys[a] as bigint, keys[b] as bigint];
        return x < y ? -1 : x > y ? 1 : 0;
      });
    }
    return this.order;
  }

  private grow(): void {
    const length = this.keys.length * 2;
    const keys = new BigUint64Array(length);
    keys.set(this.keys);
    const fingerprints = new BigUint64Array(length);
    fingerprints.set(this.fingerprints);
    const stamped = new Uint8Array(length);
    stamped.set(this.stamped);
    const buckets = new Uint8Array(length);
    buckets.set(this.buckets);
    [this.keys, this.fingerprints, this.stamped, this.buckets] = [keys, fingerprints, stamped, buckets];
  }
}
