/**
 * ScienceQA-IMG test (lmms_eval/tasks/scienceqa/scienceqa_img.yaml, utils.py): "Context: <hint>\n"
 * when the hint is non-empty, the question, the lettered choices, the default post_prompt.
 * Scored by sqa_process_results (see scienceqaCorrect: exact letter, or "X." prefix,
 * case-sensitive) on the answer lmms-eval's process_results stripped first (generatedAnswer:
 * "B\n" and "A.\n" count), mean, 0–1. Max 16 new tokens. HF rows have no id: the lmms-eval
 * doc_id is used.
 */

import { generatedAnswer, type LmmsTask } from "../../eval/task.js";
import { mean } from "../../eval/metrics/exact_match.js";
import { optionBlock, optionLetters, scienceqaCorrect, scienceqaScoredLetter } from "../../eval/metrics/choice.js";
import { docObject, id, index, str, strList, strOrNull } from "../../eval/fields.js";
import { LETTER_PROMPT } from "../../eval/prompts.js";

export interface ScienceQaDoc {
  questionId: string;
  question: string;
  choices: string[];
  hint: string;
  /** Index into choices. */
  answer: number;
}

export interface ScienceQaLog {
  questionId: string;
  prediction: string;
  target: string;
  exact_match: number;
}

export const scienceqaImg: LmmsTask<ScienceQaDoc, ScienceQaLog> = {
  name: "scienceqa_img",
  benchmarks: ["ScienceQA"],
  maxNewTokens: 16,
  docId: (doc) => doc.questionId,
  prompt: (doc) => `${doc.hint ? `Context: ${doc.hint}\n` : ""}${doc.question}\n${optionBlock(doc.choices)}\n${LETTER_PROMPT}`,
  processResult(doc, prediction) {
    const target = optionLetters(doc.choices.length)[doc.answer] as string;
    return { questionId: doc.questionId, prediction, target, exact_match: scienceqaCorrect(generatedAnswer(prediction), target) ? 1 : 0 };
  },
  aggregate: (logs) => [{ metric: "exact_match", value: mean(logs.map((l) => l.exact_match)), n: logs.length }],
  headline: { ScienceQA: "exact_match" },
  headlineScale: { ScienceQA: 100 },
  // What scienceqaCorrect can score: a lone capital letter, or one followed by a full stop.
  answeredInFormat: (log) => typeof log.prediction === "string" && /^[A-Z](\.|$)/.test(generatedAnswer(log.prediction)),
  scoredAnswer: (log) => (typeof log.prediction === "string" ? { given: scienceqaScoredLetter(generatedAnswer(log.prediction)), truth: log.target } : undefined),
  parseDoc(raw, where) {
    const d = docObject(raw, where);
    const choices = strList(d, ["choices"], where, 2);
    return {
      questionId: id(d, ["questionId", "question_id", "id", "doc_id"], where),
      question: str(d, ["question"], where),
      choices,
      hint: strOrNull(d, ["hint"], where) ?? "",
      answer: index(d, ["answer"], where, choices.length),
    };
  },
  candidateAnswers: (doc) => optionLetters(doc.choices.length),
};
