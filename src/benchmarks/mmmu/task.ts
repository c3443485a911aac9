/**
 * MMMU validation (lmms_eval/tasks/mmmu/mmmu_val.yaml, utils.py). Prompt (construct_prompt,
 * mmmu_doc_to_text): multiple choice "question\nA. …\nB. …\nAnswer with the option letter from
 * the given choices directly." (note "option letter", not "option's letter"); open
 * "question\nAnswer the question using a single word or phrase."; then every "<image 1>" …
 * "<image 7>" becomes "<image>", so for the LLaVA model the images sit where the question names
 * them and no "<image>\n" is put in front (see userText in ../task.ts). Max 16 new tokens.
 * Scoring: parseMultiChoice / parseOpen + openCorrect (../metrics/mmmu_parse.ts) on the stripped
 * answer (generatedAnswer: "B\n" parses as "B", not a random pick); mmmu_acc =
 * per-subject accuracies weighted by their sizes (calculate_ins_level_acc), rounded with
 * Python's round(·, 3) (quirk: the reported number has 3 decimals), 0–1.
 * The HF dataset stores options as a Python list literal and has no subject field: the subject
 * comes from the id ("validation_Art_Theory_12" → "Art_Theory", extract_subset_name).
 * lmms-eval 75571cfe rounds mmmu_acc to 5 decimals and scores open questions through its first
 * candidate only, character by character (openCorrectFirstCandidate: lmms-eval issue #1436), so
 * every open question with a non-empty answer is wrong there; the `open` slot's vendored rule is the
 * official MMMU one (eval_utils.py eval_open over every candidate), the named variant
 * `--mmmu-open official` of the current profile.
 */

import { generatedAnswer, type LmmsTask } from "../../eval/task.js";
import { optionBlock, optionLetters } from "../../eval/metrics/choice.js";
import { openCorrect, openCorrectFirstCandidate, parseMultiChoice, parseOpen, type McParse, type OpenValue } from "../../eval/metrics/mmmu_parse.js";
import { choiceOf, ruleOf, TAG_SLOT, type Choice, type ProfiledTask, type RuleSlot } from "../../eval/profile.js";
import { pyRound } from "../../eval/metrics/python.js";
import { docObject, id, oneOf, str, type RawDoc } from "../../eval/fields.js";
import { parsePythonStringList } from "./python_literal.js";
import { SHORT_ANSWER_PROMPT } from "../../eval/prompts.js";

export interface MmmuDoc {
  id: string;
  question: string;
  options: string[];
  /** A letter for multiple choice, the answer text for open questions. */
  answer: string;
  questionType: "multiple-choice" | "open";
  subject: string;
}

export interface MmmuLog {
  id: string;
  subject: string;
  questionType: MmmuDoc["questionType"];
  prediction: string;
  /** The parsed letter (multiple choice) or the normalised candidates (open). */
  parsed_pred: string | OpenValue[];
  via: McParse["via"] | "open";
  answer: string;
  correct: number;
}

export const MMMU_MC_PROMPT = "Answer with the option letter from the given choices directly.";
/** Seed of the random-letter fallback when no default is given. */
export const MMMU_DEFAULT_SEED = 0;

function replaceImageTokens(s: string): string {
  let out = s;
  for (let i = 1; i < 8; i++) out = out.replaceAll(`<image ${i}>`, "<image>");
  return out;
}

/** extract_subset_name: the part between the split name and the trailing number of an id. */
export function mmmuSubject(docId: string, where: string): string {
  const split = docId.split("_")[0] as string;
  const m = new RegExp(`^${split.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}_(.+?)_\\d+$`).exec(docId);
  if (!m) throw new Error(`${where}: field "id": cannot read a subject from "${docId}" (expected <split>_<Subject>_<n>)`);
  return m[1] as string;
}

function options(d: RawDoc, where: string): string[] {
  const v = d["options"];
  if (v === undefined) throw new Error(`${where}: missing field "options"`);
  const list = typeof v === "string" ? parsePythonStringList(v) : v;
  if (!Array.isArray(list) || !list.every((x) => typeof x === "string")) {
    throw new Error(`${where}: field "options": expected a list of strings (or its Python literal), found ${JSON.stringify(v).slice(0, 60)}`);
  }
  return list as string[];
}

const OPEN_SLOT: RuleSlot<(gold: string, preds: readonly OpenValue[]) => boolean> = {
  kind: "parse",
  vendored: {
    rule: openCorrect,
    does: "an open answer is right when any parsed candidate matches the gold answer (the official MMMU rule)",
    follows: "lmms_eval/tasks/mmmu/utils.py mmmu_process_results, evaluate_mmmu, eval_open",
  },
  current: {
    rule: openCorrectFirstCandidate,
    does: "only str() of the first candidate is kept and eval_open iterates its characters: open answers score 0 (issue #1436)",
    follows: "lmms_eval/tasks/mmmu/utils.py mmmu_process_results, evaluate_mmmu, eval_open",
  },
};

const ROUNDING_SLOT: RuleSlot<number> = {
  kind: "rounding",
  vendored: { rule: 3, does: "mmmu_acc rounded to 3 decimals", follows: "lmms_eval/tasks/mmmu/utils.py mmmu_aggregate_results" },
  current: { rule: 5, does: "mmmu_acc rounded to 5 decimals", follows: "lmms_eval/tasks/mmmu/utils.py mmmu_aggregate_results" },
};

const SLOTS = { tag: TAG_SLOT, open: OPEN_SLOT, rounding: ROUNDING_SLOT };

/** The MMMU task with the random-letter fallback seeded by `seed`, under one rule choice (the vendored copy's unless given). */
export function makeMmmuTask(seed = MMMU_DEFAULT_SEED, choice: Choice<typeof SLOTS> = choiceOf(SLOTS, "vendored")): LmmsTask<MmmuDoc, MmmuLog> {
  const read = (raw: string) => generatedAnswer(raw, ruleOf(SLOTS.tag, choice.tag));
  const openRight = ruleOf(SLOTS.open, choice.open);
  const digits = ruleOf(SLOTS.rounding, choice.rounding);
  return {
    name: "mmmu_val",
    benchmarks: ["MMMU"],
    maxNewTokens: 16,
    docId: (doc) => doc.id,
    prompt(doc) {
      const mc = doc.questionType === "multiple-choice";
      const body = mc ? `${doc.question}\n${optionBlock(doc.options)}\n${MMMU_MC_PROMPT}` : `${doc.question}\n${SHORT_ANSWER_PROMPT}`;
      return replaceImageTokens(body);
    },
    processResult(doc, prediction) {
      const base = { id: doc.id, subject: doc.subject, questionType: doc.questionType, prediction, answer: doc.answer };
      const answer = read(prediction);
      if (doc.questionType === "multiple-choice") {
        const { letter, via } = parseMultiChoice(answer, doc.options, seed, doc.id);
        return { ...base, parsed_pred: letter, via, correct: letter === doc.answer ? 1 : 0 };
      }
      const preds = parseOpen(answer);
      return { ...base, parsed_pred: preds, via: "open", correct: openRight(doc.answer, preds) ? 1 : 0 };
    },
    itemScore: (log) => log.correct,
    aggregate(logs) {
      if (logs.length === 0) throw new Error("mmmu_val: no samples to aggregate");
      const bySubject = new Map<string, { right: number; n: number }>();
      for (const l of logs) {
        const s = bySubject.get(l.subject) ?? { right: 0, n: 0 };
        bySubject.set(l.subject, { right: s.right + l.correct, n: s.n + 1 });
      }
      let [weighted, n] = [0, 0];
      for (const s of bySubject.values()) {
        weighted += (s.right / s.n) * s.n;
        n += s.n;
      }
      return [{ metric: "mmmu_acc", value: pyRound(weighted / n, digits), n }];
    },
    headline: { MMMU: "mmmu_acc" },
    headlineScale: { MMMU: 100 },
    // A multiple-choice answer that names no option gets a seeded random letter; open questions have no form to miss.
    answeredInFormat: (log) => (log.questionType === "open" ? undefined : typeof log.via === "string" && log.via !== "random"),
    scoredAnswer: (log) => (log.questionType === "open" || typeof log.parsed_pred !== "string" ? undefined : { given: log.parsed_pred, truth: log.answer }),
    parseDoc(raw, where) {
      const d = docObject(raw, where);
      const docId = id(d, ["id"], where);
      const questionType = oneOf(d, ["questionType", "question_type"], where, ["multiple-choice", "open"] as const);
      const opts = options(d, where);
      if (questionType === "multiple-choice" && opts.length < 2) {
        throw new Error(`${where}: field "options": a multiple-choice question needs at least 2 options, found ${opts.length}`);
      }
      return {
        id: docId,
        question: str(d, ["question"], where),
        options: opts,
        answer: str(d, ["answer"], where),
        questionType,
        subject: d["subject"] !== undefined ? str(d, ["subject"], where) : mmmuSubject(docId, where),
      };
    },
    candidateAnswers: (doc) => (doc.questionType === "multiple-choice" ? optionLetters(doc.options.length) : [doc.answer]),
  };
}

export const mmmuValProfiles: ProfiledTask<MmmuDoc, MmmuLog, typeof SLOTS> = { name: "mmmu_val", slots: SLOTS, build: (choice) => makeMmmuTask(MMMU_DEFAULT_SEED, choice) };
export const mmmuVal = makeMmmuTask();
