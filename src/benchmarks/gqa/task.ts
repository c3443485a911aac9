/**
 * GQA testdev-balanced (lmms_eval/tasks/gqa/gqa.yaml, utils.py): the question then the default
 * post_prompt; scored by the yaml's `exact_match` with ignore_case and ignore_punctuation (no
 * process_results) on the stripped answer (generatedAnswer: "no " scores as "no"), mean over
 * samples, 0–1. Max 16 new tokens.
 */

import { generatedAnswer, type LmmsTask, type MetricValue } from "../../eval/task.js";
import { exactMatch, exactMatchNormalize, mean } from "../../eval/metrics/exact_match.js";
import { docObject, id, str } from "../../eval/fields.js";
import { SHORT_ANSWER_PROMPT } from "../../eval/prompts.js";

export interface GqaDoc {
  questionId: string;
  question: string;
  answer: string;
}

export interface GqaLog {
  questionId: string;
  prediction: string;
  answer: string;
  exact_match: number;
}

export const gqa: LmmsTask<GqaDoc, GqaLog> = {
  name: "gqa",
  benchmarks: ["GQA"],
  maxNewTokens: 16,
  docId: (doc) => doc.questionId,
  prompt: (doc) => `${doc.question}\n${SHORT_ANSWER_PROMPT}`,
  processResult: (doc, prediction) => ({
    questionId: doc.questionId,
    prediction,
    answer: doc.answer,
    exact_match: exactMatch(generatedAnswer(prediction), doc.answer) ? 1 : 0,
  }),
  aggregate: (logs): MetricValue[] => [{ metric: "exact_match", value: mean(logs.map((l) => l.exact_match)), n: logs.length }],
  headline: { GQA: "exact_match" },
  headlineScale: { GQA: 100 },
  scoredAnswer: (log) => (typeof log.prediction === "string" && typeof log.answer === "string" ? { given: exactMatchNormalize(generatedAnswer(log.prediction)), truth: exactMatchNormalize(log.answer) } : undefined),
  parseDoc(raw, where) {
    const d = docObject(raw, where);
    return {
      questionId: id(d, ["questionId", "question_id", "id", "doc_id"], where),
      question: str(d, ["question"], where),
      answer: str(d, ["answer"], where),
    };
  },
  candidateAnswers: (doc) => [doc.answer],
};
