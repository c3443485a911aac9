/**
 * POPE analogue: "Is there a {category} in the image?" for object scenes with at least two
 * categories; per image, up to three present categories (yes) and as many absent ones (no), chosen
 * per split as POPE does: `random` uniformly among absent categories, `popular` the most frequent
 * categories of the training scenes, `adversarial` those that co-occur most with what is present.
 */
import type { PopeDoc } from "./task.js";
import { CATEGORIES } from "../../world/vocabulary.js";
import type { BenchmarkItem } from "../../data/dataset.js";
import { collectItems, type BenchmarkGenerator, type WorldStatistics } from "../generator.js";
import type { Random } from "../../util/random.js";
import { withArticle } from "../../data/language.js";

export const POPE_SPLITS = ["random", "popular", "adversarial"] as const;
type Split = (typeof POPE_SPLITS)[number];

/** Absent categories for a split, best first (ties broken by name, so the choice is deterministic). */
export function popeNegatives(split: Split, present: readonly string[], stats: WorldStatistics, rng: Random, k: number): string[] {
  const absent = CATEGORIES.map((c) => c.name).filter((c) => !present.includes(c));
  if (split === "random") return rng.sample(absent, Math.min(k, absent.length));
  const score = (c: string): number => (split === "popular" ? stats.frequency.get(c)! : present.reduce((s, p) => s + stats.cooccurrence.get(p)!.get(c)!, 0));
  return [...absent].sort((a, b) => score(b) - score(a) || a.localeCompare(b)).slice(0, k);
}

export const popeGenerator: BenchmarkGenerator<PopeDoc> = {
  task: "pope",
  itemsPerScale: 90,
  generate(ctx, size) {
    const perSplit = 2 * Math.ceil(size / 6); // yes/no pairs stay whole
    return POPE_SPLITS.flatMap((split) =>
      collectItems(`pope-${split}`, ctx, perSplit, (scene, rng, next) => {
        if (scene.kind !== "objects") return [];
        const present = [...new Set(scene.objects.map((o) => o.category))];
        if (present.length < 2) return [];
        const positives = rng.sample(present, Math.min(3, present.length));
        const negatives = popeNegatives(split, present, ctx.stats, rng, positives.length);
        const items: BenchmarkItem<PopeDoc>[] = [];
        positives.forEach((c, i) => {
          for (const [category, answer] of [[c, "yes"], [negatives[i]!, "no"]] as const) {
            items.push({ sceneId: scene.id, doc: { questionId: `pope-${split}-${next()}`, question: `Is there ${withArticle(category)} in the image?`, answer, category: split }, target: answer });
          }
        });
        return items;
      }),
    ).slice(0, size);
  },
};
