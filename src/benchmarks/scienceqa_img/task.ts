/**
 * ScienceQA-IMG test (lmms_eval/tasks/scienceqa/scienceqa_img.yaml, utils.py): "Context: <hint>\n"
 * when the hint is non-empty, the question, the lettered choices, the default post_prompt.
 * Scored by sqa_process_results (see scienceqaCorrect: exact letter, or "X." prefix,
 * case-sensitive) on the answer lmms-eval's process_results stripped first (generatedAnswer:
 * "B\n" and "A.\n" count), mean, 0–1. Max 16 new tokens. HF rows have no id: the lmms-eval
 * doc_id is used. lmms-eval 75571cfe compares without case (scienceqaCorrectCaseless: "a" counts).
 */

import { generatedAnswer, type LmmsTask } from "../../eval/task.js";
import { mean } from "../../eval/metrics/exact_match.js";
import { optionBlock, optionLetters, scienceqaCorrect, scienceqaCorrectCaseless, scienceqaScoredLetter } from "../../eval/metrics/choice.js";
import { choiceOf, ruleOf, TAG_SLOT, type Choice, type ProfiledTask, type RuleSlot } from "../../eval/profile.js";
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

/** How an answer is checked against the target letter, and the answer as that check compares it (for scoredAnswer). */
export interface SqaCheck {
  correct: (answer: string, target: string) => boolean;
  compared: (s: string) => string;
  /** What the check can credit at all: the answer forms of answeredInFormat. */
  form: RegExp;
}

const CASE_SLOT: RuleSlot<SqaCheck> = {
  kind: "case",
  vendored: {
    rule: { correct: scienceqaCorrect, compared: (s) => s, form: /^[A-Z](\.|$)/ },
    does: "the answer equals the letter, or is an upper-case letter then \".\" and that letter is the target; case-sensitive",
    follows: "lmms_eval/tasks/scienceqa/utils.py sqa_process_results",
  },
  current: {
    rule: { correct: scienceqaCorrectCaseless, compared: (s) => s.toLowerCase(), form: /^([A-Za-z]$|[A-Z]\.)/ },
    does: "the same rules with the answer and the target lower-cased: \"a\" counts",
    follows: "lmms_eval/tasks/scienceqa/utils.py sqa_process_results",
  },
};

const SLOTS = { tag: TAG_SLOT, case: CASE_SLOT };

function build(choice: Choice<typeof SLOTS>): LmmsTask<ScienceQaDoc, ScienceQaLog> {
  const read = (raw: string) => generatedAnswer(raw, ruleOf(SLOTS.tag, choice.tag));
  const check = ruleOf(SLOTS.case, choice.case);
  return {
    name: "scienceqa_img",
    benchmarks: ["ScienceQA"],
    maxNewTokens: 16,
    docId: (doc) => doc.questionId,
    prompt: (doc) => `${doc.hint ? `Context: ${doc.hint}\n` : ""}${doc.question}\n${optionBlock(doc.choices)}\n${LETTER_PROMPT}`,
    processResult(doc, prediction) {
      const target = optionLetters(doc.choices.length)[doc.answer] as string;
      return { questionId: doc.questionId, prediction, target, exact_match: check.correct(read(prediction), target) ? 1 : 0 };
    },
    itemScore: (log) => log.exact_match,
    aggregate: (logs) => [{ metric: "exact_match", value: mean(logs.map((l) => l.exact_match)), n: logs.length }],
    headline: { ScienceQA: "exact_match" },
    headlineScale: { ScienceQA: 100 },
    // What the check can score: a lone letter (capital only in the vendored copy), or a capital followed by a full stop.
    answeredInFormat: (log) => typeof log.prediction === "string" && check.form.test(read(log.prediction)),
    scoredAnswer: (log) => (typeof log.prediction === "string" ? { given: check.compared(scienceqaScoredLetter(read(log.prediction))), truth: check.compared(log.target) } : undefined),
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
}

export const scienceqaImgProfiles: ProfiledTask<ScienceQaDoc, ScienceQaLog, typeof SLOTS> = { name: "scienceqa_img", slots: SLOTS, build };
export const scienceqaImg = build(choiceOf(SLOTS, "vendored"));
