/**
 * ScienceQA-IMG analogue: knowledge questions about a pictured object (material, town, name,
 * total weight) with 2–4 choices; weight questions carry a context hint with the unit weight, as
 * ScienceQA's hints carry what the question needs beyond the image.
 */
import type { ScienceQaDoc } from "./task.js";
import { categoryNamed } from "../../world/vocabulary.js";
import { OPTION_LETTERS, ask, optionsFor, type FamilyName } from "../../data/questions.js";
import { collectItems, type BenchmarkGenerator } from "../generator.js";

const FAMILIES: readonly FamilyName[] = ["material", "origin", "name", "weight"];

export const scienceqaGenerator: BenchmarkGenerator<ScienceQaDoc> = {
  task: "scienceqa_img",
  itemsPerScale: 30,
  generate: (ctx, size) =>
    collectItems("scienceqa_img", ctx, size, (scene, rng, next) => {
      const qa = ask(rng.pick(FAMILIES), scene, rng);
      if (!qa) return [];
      const { options, answerIndex } = optionsFor(qa, rng, rng.intBetween(2, 4));
      const category = qa.about.length > 0 ? scene.objects[qa.about[0]!]!.category : undefined;
      const hint = qa.family === "weight" && category ? `One ${category} weighs ${categoryNamed(category).knowledge.grams} grams.` : "";
      return [{ sceneId: scene.id, doc: { questionId: `sqa-${next()}`, question: qa.question, choices: options, hint, answer: answerIndex }, target: OPTION_LETTERS[answerIndex]!, answerText: options[answerIndex]! }];
    }),
};
