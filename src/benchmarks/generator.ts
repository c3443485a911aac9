/**
 * What every benchmark analogue shares: items (an lmms-eval doc, its scene, and the ideal short
 * answer), the statistics of the training world that POPE's splits need, and a seeded walk over
 * held-out scenes that collects items until a benchmark has its size.
 */
import type { BenchmarkItem } from "../data/dataset.js";
import { Random } from "../util/random.js";
import type { Scene } from "../world/scene.js";
import { CATEGORIES } from "../world/vocabulary.js";

/** Category frequencies and co-occurrences over the training scenes. */
export interface WorldStatistics {
  /** Number of training scenes that contain each category. */
  frequency: Map<string, number>;
  /** co[a][b]: training scenes that contain both a and b. */
  cooccurrence: Map<string, Map<string, number>>;
}

export function worldStatistics(scenes: readonly Scene[]): WorldStatistics {
  const frequency = new Map<string, number>(CATEGORIES.map((c) => [c.name, 0]));
  const cooccurrence = new Map<string, Map<string, number>>(CATEGORIES.map((c) => [c.name, new Map(CATEGORIES.map((d) => [d.name, 0]))]));
  for (const scene of scenes) {
    const present = [...new Set(scene.objects.map((o) => o.category))];
    for (const a of present) {
      frequency.set(a, frequency.get(a)! + 1);
      for (const b of present) if (a !== b) cooccurrence.get(a)!.set(b, cooccurrence.get(a)!.get(b)! + 1);
    }
  }
  return { frequency, cooccurrence };
}

export interface GeneratorContext {
  /** Held-out (test) scenes the benchmark may use. */
  scenes: readonly Scene[];
  /** Statistics of the training scenes. */
  stats: WorldStatistics;
  seed: number;
  /** Return fewer items than asked when the scenes run out, instead of failing (fitting priors). */
  allowFewer?: boolean;
}

export interface BenchmarkGenerator<Doc> {
  /** The lmms-eval task whose docs it writes. */
  task: string;
  /**
   * Its size at dataset scale 1 (items; MMBench: questions, each asked once per rotation; MME:
   * questions): a dataset preset asks for this times its `benchmarkScale`, rounded, at least 2
   * (src/data/presets.ts).
   */
  itemsPerScale: number;
  generate(ctx: GeneratorContext, size: number): BenchmarkItem<Doc>[];
}

/**
 * Walks the scenes in a seeded order, asking `fromScene` for the items of each, until `size` items
 * are collected; throws when the scenes run out first.
 */
export function collectItems<Doc>(
  task: string,
  ctx: GeneratorContext,
  size: number,
  fromScene: (scene: Scene, rng: Random, next: () => number) => BenchmarkItem<Doc>[],
): BenchmarkItem<Doc>[] {
  const rng = Random.stream(ctx.seed, "benchmark", task);
  const order = rng.shuffle(ctx.scenes);
  const items: BenchmarkItem<Doc>[] = [];
  let counter = 0;
  const next = (): number => counter++;
  for (const scene of order) {
    if (items.length >= size) break;
    items.push(...fromScene(scene, Random.stream(ctx.seed, "benchmark", task, scene.id), next).slice(0, size - items.length));
  }
  if (items.length < size && !ctx.allowFewer) throw new Error(`${task}: only ${items.length} of ${size} items from ${ctx.scenes.length} held-out scenes; generate more test scenes`);
  return items;
}
