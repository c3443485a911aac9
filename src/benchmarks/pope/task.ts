/**
 * POPE test (lmms_eval/tasks/pope/pope.yaml, utils.py): the stripped question then "\nAnswer the
 * question using a single word or phrase."; max 128 new tokens. Per sample the prediction is
 * lower-cased and stripped (popeNormalize). Aggregates, all 0–1, over every sample:
 * - accuracy: prediction == ground truth;
 * - precision TP / (TP + FP) and recall TP / (TP + FN), where only the exact strings count:
 *   TP = pred "yes" & gt yes, FP = pred "yes" & gt no, FN = pred "no" & gt yes, so "yes, there
 *   is" is neither (it only lowers accuracy); 0 when the denominator is 0;
 * - F1 from those; yes_ratio = share of ground-truth "yes" (quirk: from the labels, not the
 *   predictions, so it says nothing about the model).
 * The README's POPE column is read as F1, the number LLaVA papers report for POPE.
 * lmms-eval 75571cfe scores it the same way but for the shared reasoning-tag step (TAG_SLOT).
 */

import { generatedAnswer, type LmmsTask } from "../../eval/task.js";
import { choiceOf, ruleOf, TAG_SLOT, type Choice, type ProfiledTask } from "../../eval/profile.js";
import { popeNormalize } from "../../eval/metrics/yes_no.js";
import { docObject, id, oneOf, str } from "../../eval/fields.js";
import { SHORT_ANSWER_PROMPT } from "../../eval/prompts.js";

export const POPE_CATEGORIES = ["random", "popular", "adversarial"] as const;

export interface PopeDoc {
  questionId: string;
  question: string;
  answer: "yes" | "no";
  category: (typeof POPE_CATEGORIES)[number];
}

export interface PopeLog {
  questionId: string;
  category: PopeDoc["category"];
  response: string;
  /** The response lower-cased and stripped, as upstream logs it. */
  prediction: string;
  ground_truth: "yes" | "no";
  score: number;
}

export function popeCounts(logs: readonly PopeLog[]): { tp: number; fp: number; fn: number; gtYes: number } {
  let [tp, fp, fn, gtYes] = [0, 0, 0, 0];
  for (const { prediction: p, ground_truth: gt } of logs) {
    if (gt === "yes") gtYes++;
    if (p === "yes" && gt === "yes") tp++;
    else if (p === "yes" && gt === "no") fp++;
    else if (p === "no" && gt === "yes") fn++;
  }
  return { tp, fp, fn, gtYes };
}

const SLOTS = { tag: TAG_SLOT };

function build(choice: Choice<typeof SLOTS>): LmmsTask<PopeDoc, PopeLog> {
  const read = (raw: string) => generatedAnswer(raw, ruleOf(SLOTS.tag, choice.tag));
  return {
    name: "pope",
    benchmarks: ["POPE"],
    maxNewTokens: 128,
    docId: (doc) => doc.questionId,
    prompt: (doc) => `${doc.question.trim()}\n${SHORT_ANSWER_PROMPT}`,
    processResult(doc, response) {
      const prediction = popeNormalize(read(response));
      const { questionId, category, answer } = doc;
      return { questionId, category, response, prediction, ground_truth: answer, score: prediction === answer ? 1 : 0 };
    },
    itemScore: (log) => log.score,
    aggregate(logs) {
      if (logs.length === 0) throw new Error("pope: no samples to aggregate");
      const n = logs.length;
      const { tp, fp, fn, gtYes } = popeCounts(logs);
      const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
      const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
      const f1 = precision + recall > 0 ? (2 * (precision * recall)) / (precision + recall) : 0;
      let correct = 0;
      for (const l of logs) correct += l.score;
      return [
        { metric: "pope_accuracy", value: correct / n, n },
        { metric: "pope_precision", value: precision, n },
        { metric: "pope_recall", value: recall, n },
        { metric: "pope_f1_score", value: f1, n },
        { metric: "pope_yes_ratio", value: gtYes / n, n },
      ];
    },
    headline: { POPE: "pope_f1_score" },
    answeredInFormat: (log) => log.prediction === "yes" || log.prediction === "no",
    scoredAnswer: (log) => ({ given: log.prediction, truth: log.ground_truth }),
    headlineScale: { POPE: 100 },
    parseDoc(raw, where) {
      const d = docObject(raw, where);
      return {
        questionId: id(d, ["questionId", "question_id", "id", "doc_id"], where),
        question: str(d, ["question"], where),
        answer: oneOf(d, ["answer"], where, ["yes", "no"] as const, (s) => s.toLowerCase().trim()),
        category: oneOf(d, ["category"], where, POPE_CATEGORIES),
      };
    },
    candidateAnswers: () => ["yes", "no"],
  };
}

export const popeProfiles: ProfiledTask<PopeDoc, PopeLog, typeof SLOTS> = { name: "pope", slots: SLOTS, build };
export const pope = build(choiceOf(SLOTS, "vendored"));
