/**
 * MMMU analogue: knowledge plus several steps, with the image referred to as `<image 1>` as MMMU's
 * questions do. Multiple choice (4–5 options) and a share of open questions with a number answer:
 * the total weight of the pictured objects of a category (count × the known unit weight), the town
 * where the object beside another was made, the total weight of all objects of one material.
 */
import type { MmmuDoc } from "./task.js";
import type { Random } from "../../util/random.js";
import { countByCategory, uniquelyNamed, type Scene } from "../../world/scene.js";
import { categoryNamed, PLACES } from "../../world/vocabulary.js";
import { plural } from "../../data/language.js";
import { OPTION_LETTERS, optionsFor, referTo, type QA } from "../../data/questions.js";
import { collectItems, type BenchmarkGenerator } from "../generator.js";


/** Wrong totals are whole numbers of objects too (multiples of the unit weight), so only counting tells them apart. */
const weightDomain = (unit: number): string[] => [1, 2, 3, 4, 5, 6].map((k) => String(k * unit));

function totalWeight(scene: Scene, rng: Random): (QA & { subject: string }) | undefined {
  if (scene.kind !== "objects") return undefined;
  // Two or more of a kind, so that the count matters (one object's weight is a fact the text knows).
  const several = [...countByCategory(scene)].filter(([, n]) => n >= 2);
  if (several.length === 0) return undefined;
  const [category, n] = rng.pick(several);
  const grams = n * categoryNamed(category).knowledge.grams;
  return { family: "weight", subject: "Math", question: `How many grams do all the ${plural(category, 2)} in <image 1> weigh together?`, answer: String(grams), domain: weightDomain(categoryNamed(category).knowledge.grams), about: [] };
}

function neighbourOrigin(scene: Scene, rng: Random): (QA & { subject: string }) | undefined {
  const named = uniquelyNamed(scene);
  const pairs = named.flatMap((a) => named.filter((b) => b.row === a.row && b.col === a.col + 1).map((b) => [a, b] as const));
  if (pairs.length === 0) return undefined;
  const [a, b] = rng.pick(pairs);
  return {
    family: "origin",
    subject: "Geography",
    question: `In <image 1>, in which town was the object directly to the right of ${referTo(scene, a)} made?`,
    answer: categoryNamed(b.category).knowledge.origin,
    domain: PLACES,
    about: [a.id, b.id],
  };
}

function materialWeight(scene: Scene, rng: Random): (QA & { subject: string }) | undefined {
  if (scene.kind !== "objects") return undefined;
  const material = categoryNamed(rng.pick(scene.objects).category).knowledge.material;
  if (scene.objects.filter((o) => categoryNamed(o.category).knowledge.material === material).length < 2) return undefined;
  const grams = scene.objects.filter((o) => categoryNamed(o.category).knowledge.material === material).reduce((s, o) => s + categoryNamed(o.category).knowledge.grams, 0);
  return { family: "weight", subject: "Materials", question: `What is the total weight in grams of all the ${material} objects in <image 1>?`, answer: String(grams), domain: [...new Set([grams, grams + 1, grams + 2, Math.max(1, grams - 1), grams + 3, grams * 2])].map(String), about: [] };
}

const ASKERS = [totalWeight, neighbourOrigin, materialWeight];

export const mmmuGenerator: BenchmarkGenerator<MmmuDoc> = {
  task: "mmmu_val",
  itemsPerScale: 20,
  generate: (ctx, size) =>
    collectItems<MmmuDoc>("mmmu_val", ctx, size, (scene, rng, next) => {
      const qa = rng.pick(ASKERS)(scene, rng);
      if (!qa) return [];
      const id = `validation_${qa.subject}_${next()}`;
      if (qa.family === "weight" && rng.chance(0.2)) {
        return [{ sceneId: scene.id, doc: { id, question: qa.question, options: [], answer: qa.answer, questionType: "open", subject: qa.subject }, target: qa.answer }];
      }
      const { options, answerIndex } = optionsFor(qa, rng, Math.min(new Set(qa.domain).size, rng.intBetween(4, 5)));
      const letter = OPTION_LETTERS[answerIndex]!;
      return [{ sceneId: scene.id, doc: { id, question: qa.question, options, answer: letter, questionType: "multiple-choice", subject: qa.subject }, target: letter, answerText: options[answerIndex]! }];
    }),
};
