/**
 * Hard-negative captions in the manner of NegCLIP (Yuksekgonul et al. 2023, "When and why
 * vision-language models behave like bags-of-words"): the caption of a counterfactual scene that
 * differs from the real one in one object's category, or in which two objects swap colours. In a
 * batch of random scenes a caption can be matched by its colours and places alone; against its own
 * counterfactual only the shapes (or which colour goes with which shape) tell them apart.
 */
import type { Random } from "../util/random.js";
import type { Scene } from "../world/scene.js";
import { CATEGORIES, COLOURS } from "../world/vocabulary.js";
import { stage1Pair, type CaptionStyle } from "./captions.js";

export type CounterfactualKind = "category" | "colours";

/** `scene` with one thing changed (same id, places and sizes): one object's category, or two objects' colours swapped. */
export function counterfactualScene(scene: Scene, kind: CounterfactualKind, rng: Random): Scene {
  if (scene.objects.length === 0) throw new Error(`scene ${scene.id} has no objects to change`);
  const objects = scene.objects.map((o) => ({ ...o }));
  if (kind === "category") {
    const target = rng.pick(objects);
    target.category = rng.pick(CATEGORIES.filter((c) => c.name !== target.category)).name;
  } else {
    const pairs = objects.flatMap((a, i) => objects.slice(i + 1).filter((b) => b.colour !== a.colour).map((b) => [a, b] as const));
    if (pairs.length > 0) {
      const [a, b] = rng.pick(pairs);
      [a.colour, b.colour] = [b.colour, a.colour];
    } else {
      // One colour throughout: recolour one object instead.
      const target = rng.pick(objects);
      target.colour = rng.pick(COLOURS.filter((c) => c.name !== target.colour)).name;
    }
  }
  return { ...scene, objects };
}

/**
 * The stage-1 caption of a counterfactual of `scene`, phrased with the same random choices as the
 * real caption (same dataset seed and scene id), so that only the changed fact differs; undefined
 * where the caption does not mention the change (a noisy caption that left the object out).
 */
export function hardNegativeCaption(style: CaptionStyle, scene: Scene, datasetSeed: number, rng: Random): string | undefined {
  const kind: CounterfactualKind = rng.chance(0.5) ? "category" : "colours";
  const negative = stage1Pair(style, counterfactualScene(scene, kind, rng), datasetSeed).caption;
  return negative === stage1Pair(style, scene, datasetSeed).caption ? undefined : negative;
}
