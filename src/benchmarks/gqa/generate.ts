/** GQA analogue: compositional short-answer questions about objects, attributes and relations. */
import type { GqaDoc } from "./task.js";
import { ask, type FamilyName } from "../../data/questions.js";
import { collectItems, type BenchmarkGenerator } from "../generator.js";

const FAMILIES: readonly FamilyName[] = ["colour", "shape", "exists", "position", "size", "texture", "theme", "arrow"];

export const gqaGenerator: BenchmarkGenerator<GqaDoc> = {
  task: "gqa",
  itemsPerScale: 60,
  generate: (ctx, size) =>
    collectItems("gqa", ctx, size, (scene, rng, next) => {
      const qa = ask(rng.pick(FAMILIES), scene, rng);
      if (!qa) return [];
      return [{ sceneId: scene.id, doc: { questionId: `gqa-${next()}`, question: qa.question, answer: qa.answer }, target: qa.answer }];
    }),
};
