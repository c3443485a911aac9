/** AI2D analogue: multiple-choice questions about diagrams (arrows, their ends, the title). */
import type { Ai2dDoc } from "./task.js";
import { OPTION_LETTERS, ask, optionsFor, type FamilyName } from "../../data/questions.js";
import { collectItems, type BenchmarkGenerator } from "../generator.js";

const FAMILIES: readonly FamilyName[] = ["arrow", "arrows", "title", "shape", "colour"];

export const ai2dGenerator: BenchmarkGenerator<Ai2dDoc> = {
  task: "ai2d",
  itemsPerScale: 15,
  generate: (ctx, size) =>
    collectItems("ai2d", ctx, size, (scene, rng, next) => {
      if (scene.kind !== "diagram") return [];
      const qa = ask(rng.pick(FAMILIES), scene, rng);
      if (!qa || new Set(qa.domain).size < 4) return [];
      const { options, answerIndex } = optionsFor(qa, rng, 4);
      return [{ sceneId: scene.id, doc: { questionId: `ai2d-${next()}`, question: qa.question, options, answer: answerIndex }, target: OPTION_LETTERS[answerIndex]!, answerText: options[answerIndex]! }];
    }),
};
