/**
 * AI2D test (lmms_eval/tasks/ai2d/ai2d.yaml, utils.py; prompt_format mcq): the question, the
 * lettered options, the default post_prompt. No process_results: the yaml's `exact_match` with
 * ignore_case and ignore_punctuation against the target letter, on the stripped answer
 * (generatedAnswer), so "A", "a", "A.", "(A)" and " A\n" count while "The answer is A" does
 * not; mean, 0–1. Max 16 new tokens. HF rows have no
 * id (the lmms-eval doc_id is used) and give the answer index as a string.
 * lmms-eval 75571cfe adds the yaml's `flexible-extract` filter (ai2dFlexibleExtract: "A. cat" → "A")
 * before the shared reasoning-tag step; the metric is unchanged.
 */

import { generatedAnswer, NO_FILTER, type Filter, type LmmsTask } from "../../eval/task.js";
import { exactMatch, exactMatchNormalize, mean } from "../../eval/metrics/exact_match.js";
import { ai2dFlexibleExtract, optionBlock, optionLetters } from "../../eval/metrics/choice.js";
import { choiceOf, ruleOf, TAG_SLOT, type Choice, type ProfiledTask, type RuleSlot } from "../../eval/profile.js";
import { docObject, id, index, str, strList } from "../../eval/fields.js";
import { LETTER_PROMPT } from "../../eval/prompts.js";

export interface Ai2dDoc {
  questionId: string;
  question: string;
  options: string[];
  /** Index into options. */
  answer: number;
}

export interface Ai2dLog {
  questionId: string;
  prediction: string;
  target: string;
  exact_match: number;
}

const FILTER_SLOT: RuleSlot<Filter> = {
  kind: "filter",
  vendored: { rule: NO_FILTER, does: "no filter: the yaml's exact_match reads the whole answer", follows: "lmms_eval/tasks/ai2d/ai2d.yaml (no filter_list)" },
  current: {
    rule: ai2dFlexibleExtract,
    does: "flexible-extract: a response starting with an upper-case letter and \".\" becomes that letter",
    follows: "lmms_eval/tasks/ai2d/ai2d.yaml filter_list flexible-extract, utils.py MultiChoiceRegexFilter.apply",
  },
};

const SLOTS = { filter: FILTER_SLOT, tag: TAG_SLOT };

function build(choice: Choice<typeof SLOTS>): LmmsTask<Ai2dDoc, Ai2dLog> {
  const read = (raw: string) => generatedAnswer(raw, ruleOf(SLOTS.tag, choice.tag), ruleOf(SLOTS.filter, choice.filter));
  return {
    name: "ai2d",
    benchmarks: ["AI2D"],
    maxNewTokens: 16,
    docId: (doc) => doc.questionId,
    prompt: (doc) => `${doc.question}\n${optionBlock(doc.options)}\n${LETTER_PROMPT}`,
    processResult(doc, prediction) {
      const target = optionLetters(doc.options.length)[doc.answer] as string;
      return { questionId: doc.questionId, prediction, target, exact_match: exactMatch(read(prediction), target) ? 1 : 0 };
    },
    itemScore: (log) => log.exact_match,
    aggregate: (logs) => [{ metric: "exact_match", value: mean(logs.map((l) => l.exact_match)), n: logs.length }],
    headline: { AI2D: "exact_match" },
    headlineScale: { AI2D: 100 },
    // Exact match compares the normalised answer with the target letter: only a lone letter can score.
    answeredInFormat: (log) => typeof log.prediction === "string" && /^[a-z]$/.test(exactMatchNormalize(read(log.prediction))),
    scoredAnswer: (log) => (typeof log.prediction === "string" && typeof log.target === "string" ? { given: exactMatchNormalize(read(log.prediction)), truth: exactMatchNormalize(log.target) } : undefined),
    parseDoc(raw, where) {
      const d = docObject(raw, where);
      const options = strList(d, ["options"], where, 2);
      return {
        questionId: id(d, ["questionId", "question_id", "id", "doc_id"], where),
        question: str(d, ["question"], where),
        options,
        answer: index(d, ["answer"], where, options.length),
      };
    },
    candidateAnswers: (doc) => optionLetters(doc.options.length),
  };
}

export const ai2dProfiles: ProfiledTask<Ai2dDoc, Ai2dLog, typeof SLOTS> = { name: "ai2d", slots: SLOTS, build };
export const ai2d = build(choiceOf(SLOTS, "vendored"));
