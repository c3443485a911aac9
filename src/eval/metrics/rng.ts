/** A small deterministic RNG for lmms-eval's "pick at random" fallbacks. */

/** FNV-1a of the seed and the key, so each sample draws independently of the order of scoring. */
function hash(seed: number, key: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}\u0000${key}`) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: uniform numbers in [0, 1) from a (seed, key) pair. */
export function seededRandom(seed: number, key: string): () => number {
  let state = hash(seed, key);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One element chosen uniformly by a seeded draw. */
export function seededChoice<T>(items: readonly T[], seed: number, key: string): T {
  if (items.length === 0) throw new Error("cannot choose from an empty list");
  return items[Math.floor(seededRandom(seed, key)() * items.length)] as T;
}
