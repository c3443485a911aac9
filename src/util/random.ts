/**
 * Seeded pseudo-random streams for data generation. `Random.stream(seed, ...labels)` derives an
 * independent stream per purpose (scene i of split "test", the caption of scene i, ...), so adding a
 * new draw in one place never shifts the numbers drawn anywhere else.
 */

/** FNV-1a over the UTF-16 code units, then a murmur-style finaliser. */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The largest seed. Streams start from a 32-bit state (`hashString(labels, seed)` mixes the seed in as
 * 32 bits), so a larger seed would silently repeat a smaller one; for a fixed label the map from seeds
 * 0…MAX_SEED to stream states is one to one (each FNV-1a step and the finaliser are bijections), so two
 * accepted seeds never draw the same numbers.
 */
export const MAX_SEED = 0xffffffff;

/** What a seed must be, for error messages. */
export const SEED_RANGE = `an integer from 0 to ${MAX_SEED} (the random streams have 32-bit state: a larger seed would repeat a smaller one)`;

/** `seed` when it is an integer from 0 to MAX_SEED; otherwise an error that says so, prefixed by `what`. */
export function checkSeed(seed: number, what = "seed"): number {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SEED) throw new Error(`${what}: expected ${SEED_RANGE}, got ${seed}`);
  return seed;
}

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static stream(seed: number, ...labels: (string | number)[]): Random {
    return new Random(hashString(labels.join("\u0000"), seed));
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi] inclusive. */
  intBetween(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Random.pick: empty list");
    return items[this.int(items.length)]!;
  }

  /** An index drawn with probability proportional to its weight. */
  weightedIndex(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new Error("Random.weightedIndex: weights must have a positive sum");
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    return items[this.weightedIndex(weights)]!;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** k distinct items in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    if (k > items.length) throw new Error(`Random.sample: asked for ${k} of ${items.length} items`);
    return this.shuffle(items).slice(0, k);
  }
}
