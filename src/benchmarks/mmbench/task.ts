/**
 * MMBench dev, English and Chinese (lmms_eval/tasks/mmbench/_default_template_mmbench_{en,cn}_yaml,
 * en_utils.py / cn_utils.py, mmbench_evals.py; the `mmbench` group yaml's sys_prompt).
 *
 * Prompt: "[hint ]question There are several options:\nA. …\nB. …" then "\n" and the post_prompt,
 * which itself starts with "\n" (quirk: a blank line before the instruction). The option header
 * is English in both languages (quirk). An option is listed when its text is non-empty and not
 * "nan". English skips a hint that is null or the string "nan"; Chinese only a null one (quirk).
 * Max new tokens: 1024 (en), 256 (cn).
 *
 * Scoring (MMBench_Evaluator.eval_result, circular evaluation): rotation k of question q has
 * index q + k·1,000,000; a question counts only through its rotation-0 row and is right only if
 * every rotation's extracted letter equals that rotation's answer; gpt_eval_score = 100 · the
 * mean over questions. Extraction: the stripped response through mmbenchExtract (a single
 * option letter, else a unique option text). Upstream asks a GPT judge (gpt-3.5-turbo) when
 * that fails, and without a working API key ends with a random letter; this workbench has no
 * judge, so an unextracted answer counts as wrong. Every log and the results record
 * "judge": "none (rule-based extraction)".
 *
 * lmms-eval 75571cfe: English follows `mmbench_en_dev_static` (en_utils.py
 * mmbench_aggregate_dev_results_static, MMBench_Evaluator.eval_sub_data with static_only): a rotation
 * can_infer does not settle goes to extract_mcq_answer (extractMcqAnswer), no judge. Chinese has no
 * static task: its rotations can_infer does not settle go to a gpt-4o judge, which this workbench does
 * not run, so a question that waits on one is neither right nor wrong and the task reports the
 * judge-free bounds gpt_eval_score_lower (judge always wrong) and gpt_eval_score_upper (always right)
 * instead of gpt_eval_score.
 */

import { generatedAnswer, type LmmsTask, type MetricValue } from "../../eval/task.js";
import { extractMcqAnswer, mmbenchExtract } from "../../eval/metrics/choice.js";
import { choiceOf, ruleOf, TAG_SLOT, type Choice, type ProfiledTask, type RuleSlot } from "../../eval/profile.js";
import { pyStrip } from "../../eval/metrics/python.js";
import { docObject, int, oneOf, str, strOrNull, type RawDoc } from "../../eval/fields.js";

type Letter = "A" | "B" | "C" | "D";
const LETTERS: readonly Letter[] = ["A", "B", "C", "D"];
export const ROTATION_STRIDE = 1_000_000;
export const MMBENCH_JUDGE = "none (rule-based extraction)";
export const MMBENCH_STATIC = "none (mmbench_en_dev_static: rule-based extraction, then extract_mcq_answer)";
export const MMBENCH_JUDGE_NEEDED = "gpt-4o (mmbench_aggregate_dev_results_eval) for rotations the rule-based extraction does not settle; not run here: where one is needed, gpt_eval_score_lower and gpt_eval_score_upper bound the score instead of gpt_eval_score";

export interface MmbenchDoc {
  /** Rotation k of question q has index q + k·1,000,000, as the MMBench circular files. */
  index: number;
  question: string;
  hint: string | null;
  options: { A: string; B: string; C?: string; D?: string };
  answer: Letter;
  category: string;
  l2Category: string;
}

export interface MmbenchLog {
  index: number;
  /** index mod 1,000,000. */
  question: number;
  rotation: number;
  /** The stripped response. */
  prediction: string;
  extracted: string | null;
  /** What settled the letter: can_infer's option or text step, extract_mcq_answer, or a judge not run (then `correct` is 0 and unknown). */
  via: "option" | "text" | "mcq" | "judge" | null;
  answer: Letter;
  correct: number;
  category: string;
  l2Category: string;
  judge: string;
}

function optionsPrompt(options: MmbenchDoc["options"]): string {
  const lines = LETTERS.filter((k) => options[k] && options[k] !== "nan").map((k) => `${k}. ${options[k]}\n`);
  return `There are several options:\n${lines.join("")}`.replace(/\n+$/, "");
}

function parseOptions(d: RawDoc, where: string): MmbenchDoc["options"] {
  const src = typeof d["options"] === "object" && d["options"] !== null ? docObject(d["options"], `${where}: options`) : d;
  const get = (k: Letter) => strOrNull(src, [k], where) ?? undefined;
  const [A, B, C, D] = LETTERS.map(get);
  if (A === undefined || B === undefined) throw new Error(`${where}: options: expected options "A" and "B"`);
  return { A, B, ...(C !== undefined ? { C } : {}), ...(D !== undefined ? { D } : {}) };
}

/** What a rotation the rule-based can_infer did not settle becomes: a letter (or none, wrong), or "judge". */
type Unsettled = (prediction: string, options: MmbenchDoc["options"]) => { letter: string | null; via: "mcq" | null } | "judge";

export interface MmbenchRule {
  unsettled: Unsettled;
  judge: string;
}

const noJudge: MmbenchRule = { unsettled: () => ({ letter: null, via: null }), judge: MMBENCH_JUDGE };

function unsettledSlot(lang: "en" | "cn"): RuleSlot<MmbenchRule> {
  const vendored = {
    rule: noJudge,
    does: "a rotation can_infer does not settle is wrong (upstream asks a gpt-3.5 judge; none is run here: the judge-free lower bound)",
    follows: "lmms_eval/tasks/mmbench/mmbench_evals.py MMBench_Evaluator.eval_sub_data, can_infer",
  };
  if (lang === "cn") {
    return {
      kind: "judge",
      vendored,
      current: {
        rule: { unsettled: () => "judge", judge: MMBENCH_JUDGE_NEEDED },
        does: "a rotation can_infer does not settle goes to a gpt-4o judge: not run, the score is reported as judge-free bounds",
        follows: "lmms_eval/tasks/mmbench/cn_utils.py mmbench_aggregate_dev_results_eval, mmbench_evals.py eval_sub_data",
      },
    };
  }
  return {
    kind: "parse",
    vendored,
    current: {
      rule: { unsettled: (p, options) => ({ letter: extractMcqAnswer(p, LETTERS.filter((k) => options[k] !== undefined)) || null, via: "mcq" }), judge: MMBENCH_STATIC },
      does: "static mode: a rotation can_infer does not settle goes to extract_mcq_answer",
      follows: "lmms_eval/tasks/mmbench/en_utils.py mmbench_aggregate_dev_results_static, mmbench_evals.py eval_sub_data (static_only), _task_utils/mcq_extract.py extract_mcq_answer",
    },
  };
}

const mmbenchSlots = (lang: "en" | "cn") => ({ tag: TAG_SLOT, unsettled: unsettledSlot(lang) });
type MmbenchSlots = ReturnType<typeof mmbenchSlots>;

/** Per question: right, wrong, or waiting on a judge (no settled rotation wrong, one unsettled). */
function circularOutcome(rows: readonly MmbenchLog[]): "right" | "wrong" | "judge" {
  if (rows.some((r) => r.via !== "judge" && r.correct === 0)) return "wrong";
  return rows.some((r) => r.via === "judge") ? "judge" : "right";
}

function makeMmbench(lang: "en" | "cn", choice: Choice<MmbenchSlots>): LmmsTask<MmbenchDoc, MmbenchLog> {
  const slots = mmbenchSlots(lang);
  const read = (raw: string) => generatedAnswer(raw, ruleOf(slots.tag, choice.tag));
  const rule = ruleOf(slots.unsettled, choice.unsettled);
  const post = lang === "en" ? "\nAnswer with the option's letter from the given choices directly." : "\n请直接使用所提供的选项字母作为答案回答。";
  const hasHint = (h: string | null): h is string => h !== null && (lang === "cn" || h !== "nan");
  return {
    name: `mmbench_${lang}_dev`,
    benchmarks: [lang === "en" ? "MMBench-En" : "MMBench-Cn"],
    maxNewTokens: lang === "en" ? 1024 : 256,
    docId: (doc) => String(doc.index),
    prompt(doc) {
      const body = `${doc.question} ${optionsPrompt(doc.options)}`;
      return `${hasHint(doc.hint) ? `${doc.hint} ${body}` : body}\n${post}`;
    },
    processResult(doc, response) {
      const prediction = pyStrip(read(response));
      const inferred = mmbenchExtract(prediction, doc.options);
      const got = inferred ?? rule.unsettled(prediction, doc.options);
      const letter = got === "judge" ? null : got.letter;
      return {
        index: doc.index,
        question: doc.index % ROTATION_STRIDE,
        rotation: Math.floor(doc.index / ROTATION_STRIDE),
        prediction,
        extracted: letter,
        via: got === "judge" ? "judge" : got.via,
        answer: doc.answer,
        correct: letter === doc.answer ? 1 : 0,
        category: doc.category,
        l2Category: doc.l2Category,
        judge: rule.judge,
      };
    },
    itemScore: (log) => (log.via === "judge" ? null : log.correct),
    aggregate(logs) {
      const rows = new Map<number, MmbenchLog[]>();
      for (const l of logs) rows.set(l.question, [...(rows.get(l.question) ?? []), l]);
      const mains = logs.filter((l) => l.rotation === 0);
      if (mains.length === 0) throw new Error(`mmbench_${lang}_dev: no rotation-0 rows to score`);
      const outcomes = mains.map((l) => circularOutcome(rows.get(l.question)!));
      const right = outcomes.filter((o) => o === "right").length;
      const waiting = outcomes.filter((o) => o === "judge").length;
      const n = mains.length;
      if (waiting === 0) return [{ metric: "gpt_eval_score", value: (right / n) * 100, n }];
      return [
        { metric: "gpt_eval_score_lower", value: (right / n) * 100, n },
        { metric: "gpt_eval_score_upper", value: ((right + waiting) / n) * 100, n },
      ] satisfies MetricValue[];
    },
    headline: { [lang === "en" ? "MMBench-En" : "MMBench-Cn"]: "gpt_eval_score" },
    headlineScale: { [lang === "en" ? "MMBench-En" : "MMBench-Cn"]: 1 },
    // A prediction the extraction maps to no option is scored wrong, or waits on a judge (then undecided).
    answeredInFormat: (log) => (log.via === "judge" ? undefined : typeof log.extracted === "string"),
    // Per row (one rotation of a question): the circular score needs every rotation right.
    scoredAnswer: (log) => (log.via === "judge" ? undefined : { given: log.extracted ?? "(no option)", truth: log.answer }),
    parseDoc(raw, where) {
      const d = docObject(raw, where);
      const index = int(d, ["index"], where);
      if (index < 0) throw new Error(`${where}: field "index": expected a non-negative integer, found ${index}`);
      const options = parseOptions(d, where);
      const answer = oneOf(d, ["answer"], where, LETTERS);
      if (options[answer] === undefined) throw new Error(`${where}: field "answer": option ${answer} is not given`);
      return {
        index,
        question: str(d, ["question"], where),
        hint: strOrNull(d, ["hint"], where),
        options,
        answer,
        category: str(d, ["category"], where),
        l2Category: str(d, ["l2Category", "L2-category"], where),
      };
    },
    candidateAnswers: (doc) => LETTERS.filter((k) => doc.options[k] !== undefined),
    notes: { judge: rule.judge },
  };
}

const profiled = (lang: "en" | "cn"): ProfiledTask<MmbenchDoc, MmbenchLog, MmbenchSlots> => ({
  name: `mmbench_${lang}_dev`,
  slots: mmbenchSlots(lang),
  build: (choice) => makeMmbench(lang, choice),
});

export const mmbenchEnDevProfiles = profiled("en");
export const mmbenchCnDevProfiles = profiled("cn");
export const mmbenchEnDev = mmbenchEnDevProfiles.build(choiceOf(mmbenchEnDevProfiles.slots, "vendored"));
export const mmbenchCnDev = mmbenchCnDevProfiles.build(choiceOf(mmbenchCnDevProfiles.slots, "vendored"));
