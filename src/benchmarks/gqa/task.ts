/**
 * GQA testdev-balanced (lmms_eval/tasks/gqa/gqa.yaml, utils.py): the question then the default
 * post_prompt; scored by the yaml's `exact_match` with ignore_case and ignore_punctuation (no
 * process_results) on the stripped answer (generatedAnswer: "no " scores as "no"), mean over
 * samples, 0–1. Max 16 new tokens. lmms-eval 75571cfe scores it the same way but for the shared
 * reasoning-tag step (TAG_SLOT).
 */

import { generatedAnswer, type LmmsTask, type MetricValue } from "../../eval/task.js";
import { choiceOf, ruleOf, TAG_SLOT, type Choice, type ProfiledTask } from "../../eval/profile.js";
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

const SLOTS = { tag: TAG_SLOT };

function build(choice: Choice<typeof SLOTS>): LmmsTask<GqaDoc, GqaLog> {
  const read = (raw: string) => generatedAnswer(raw, ruleOf(SLOTS.tag, choice.tag));
  return {
    name: "gqa",
    benchmarks: ["GQA"],
    maxNewTokens: 16,
    docId: (doc) => doc.questionId,
    prompt: (doc) => `${doc.question}\n${SHORT_ANSWER_PROMPT}`,
    processResult: (doc, prediction) => ({
      questionId: doc.questionId,
      prediction,
      answer: doc.answer,
      exact_match: exactMatch(read(prediction), doc.answer) ? 1 : 0,
    }),
    itemScore: (log) => log.exact_match,
    aggregate: (logs): MetricValue[] => [{ metric: "exact_match", value: mean(logs.map((l) => l.exact_match)), n: logs.length }],
    headline: { GQA: "exact_match" },
    headlineScale: { GQA: 100 },
    scoredAnswer: (log) => (typeof log.prediction === "string" && typeof log.answer === "string" ? { given: exactMatchNormalize(read(log.prediction)), truth: exactMatchNormalize(log.answer) } : undefined),
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
}

export const gqaProfiles: ProfiledTask<GqaDoc, GqaLog, typeof SLOTS> = { name: "gqa", slots: SLOTS, build };
export const gqa = build(choiceOf(SLOTS, "vendored"));
