/** mulberry32: a small, fast, seedable PRNG, so the same seed always generates the same tenant. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (random: () => number) =>
  Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, '0');

/** A GUID-shaped id (version 4 layout) drawn from `random`. */
export function seededUuid(random: () => number): string {
  const h = Array.from({ length: 8 }, () => hex(random));
  return `${h[0]}${h[1]}-${h[2]}-4${(h[3] as string).slice(1)}-${((Number.parseInt((h[4] as string).slice(0, 1), 16) & 0x3) | 0x8).toString(16)}${(h[4] as string).slice(1)}-${h[5]}${h[6]}${h[7]}`;
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}
