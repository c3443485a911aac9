/**
 * TextVQA validation (lmms_eval/tasks/textvqa/textvqa_val.yaml, _default_template_textvqa_yaml,
 * utils.py), the OCR variant LLaVA-MORE reports (README footnote; `ocr: true` in the default
 * prompt kwargs): the question through Python's str.capitalize() (quirk: the first letter upper
 * case and every other letter lower case, "What does SALE say?" → "What does sale say?"), then
 * "\nReference OCR token: " and the tokens joined by ", " (the line is there, ending in a space,
 * even with no tokens), then the default post_prompt. Scored by textvqa_process_results: VQA
 * accuracy with the EvalAI normaliser (metrics/vqa_normalizer.ts), logged as `exact_match`, mean,
 * 0–1. The yaml sets no max_new_tokens, so the LLaVA model's default of 1024 applies.
 * lmms-eval 75571cfe scores it the same way but for the shared reasoning-tag step (TAG_SLOT); its
 * default prompt leaves the OCR tokens out (`ocr: false`), a prompt change this workbench does not follow.
 */

import { generatedAnswer, type LmmsTask } from "../../eval/task.js";
import { choiceOf, ruleOf, TAG_SLOT, type Choice, type ProfiledTask } from "../../eval/profile.js";
import { mean } from "../../eval/metrics/exact_match.js";
import { pyCapitalize } from "../../eval/metrics/python.js";
import { normalizeVqaAnswer, vqaAccuracy } from "../../eval/metrics/vqa_normalizer.js";
import { docObject, id, str, strList } from "../../eval/fields.js";
import { SHORT_ANSWER_PROMPT } from "../../eval/prompts.js";

export interface TextVqaDoc {
  questionId: string;
  question: string;
  /** The 10 human answers. */
  answers: string[];
  ocrTokens: string[];
}

export interface TextVqaLog {
  questionId: string;
  prediction: string;
  /** The prediction after the EvalAI normaliser (upstream's submission answer). */
  normalized: string;
  exact_match: number;
}

const SLOTS = { tag: TAG_SLOT };

function build(choice: Choice<typeof SLOTS>): LmmsTask<TextVqaDoc, TextVqaLog> {
  const read = (raw: string) => generatedAnswer(raw, ruleOf(SLOTS.tag, choice.tag));
  return {
    name: "textvqa_val",
    benchmarks: ["TextVQA"],
    maxNewTokens: 1024,
    docId: (doc) => doc.questionId,
    prompt: (doc) => `${pyCapitalize(doc.question)}\nReference OCR token: ${doc.ocrTokens.join(", ")}\n${SHORT_ANSWER_PROMPT}`,
    processResult: (doc, prediction) => ({
      questionId: doc.questionId,
      prediction,
      normalized: normalizeVqaAnswer(read(prediction)),
      exact_match: vqaAccuracy(read(prediction), doc.answers),
    }),
    itemScore: (log) => log.exact_match,
    aggregate: (logs) => [{ metric: "exact_match", value: mean(logs.map((l) => l.exact_match)), n: logs.length }],
    headline: { TextVQA: "exact_match" },
    headlineScale: { TextVQA: 100 },
    parseDoc(raw, where) {
      const d = docObject(raw, where);
      return {
        questionId: id(d, ["questionId", "question_id", "doc_id"], where),
        question: str(d, ["question"], where),
        answers: strList(d, ["answers"], where, 1),
        ocrTokens: strList(d, ["ocrTokens", "ocr_tokens"], where, 0),
      };
    },
    candidateAnswers: (doc) => [...new Set(doc.answers)],
  };
}

export const textvqaValProfiles: ProfiledTask<TextVqaDoc, TextVqaLog, typeof SLOTS> = { name: "textvqa_val", slots: SLOTS, build };
export const textvqaVal = build(choiceOf(SLOTS, "vendored"));
