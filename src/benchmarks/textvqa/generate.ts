/**
 * TextVQA analogue: reading printed labels, signs and diagram titles. Ten "human" answers per
 * question with the variation real annotators show (case, extra words, a misread character, the
 * odd "unanswerable"), and the scene's printed strings as the OCR tokens the prompt carries.
 */
import type { TextVqaDoc } from "./task.js";
import type { Random } from "../../util/random.js";
import type { Scene } from "../../world/scene.js";
import { LABEL_ALPHABET } from "../../world/vocabulary.js";
import { ask, type FamilyName } from "../../data/questions.js";
import { collectItems, type BenchmarkGenerator } from "../generator.js";

const FAMILIES: readonly FamilyName[] = ["label", "sign", "title"];

function misread(text: string, rng: Random): string {
  const i = rng.int(text.length);
  return text.slice(0, i) + rng.pick([...LABEL_ALPHABET]) + text.slice(i + 1);
}

/** Ten annotator answers: mostly exact, some lower-case or wordy, some misread or unanswerable. */
export function humanAnswers(answer: string, rng: Random): string[] {
  return [...Array(10)].map(() => {
    const r = rng.next();
    if (r < 0.68) return answer;
    if (r < 0.78) return answer.toLowerCase();
    if (r < 0.86) return `it says ${answer}`;
    if (r < 0.95) return misread(answer, rng);
    return "unanswerable";
  });
}

export const ocrTokens = (scene: Scene, rng: Random): string[] =>
  rng.shuffle([...scene.objects.flatMap((o) => (o.label ? [o.label] : [])), ...(scene.sign ? [scene.sign.text] : []), ...(scene.title ? [scene.title] : [])]);

export const textvqaGenerator: BenchmarkGenerator<TextVqaDoc> = {
  task: "textvqa_val",
  itemsPerScale: 30,
  generate: (ctx, size) =>
    collectItems("textvqa_val", ctx, size, (scene, rng, next) => {
      const qa = ask(rng.pick(FAMILIES), scene, rng);
      if (!qa) return [];
      return [{ sceneId: scene.id, doc: { questionId: `textvqa-${next()}`, question: qa.question, answers: humanAnswers(qa.answer, rng), ocrTokens: ocrTokens(scene, rng) }, target: qa.answer }];
    }),
};
