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
 */

import { generatedAnswer, type LmmsTask } from "../../eval/task.js";
import { mmbenchExtract } from "../../eval/metrics/choice.js";
import { pyStrip } from "../../eval/metrics/python.js";
import { docObject, int, oneOf, str, strOrNull, type RawDoc } from "../../eval/fields.js";

type Letter = "A" | "B" | "C" | "D";
const LETTERS: readonly Letter[] = ["A", "B", "C", "D"];
export const ROTATION_STRIDE = 1_000_000;
export const MMBENCH_JUDGE = "none (rule-based extraction)";

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
  via: "option" | "text" | null;
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

function makeMmbench(lang: "en" | "cn"): LmmsTask<MmbenchDoc, MmbenchLog> {
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
      const prediction = pyStrip(generatedAnswer(response));
      const got = mmbenchExtract(prediction, doc.options);
      return {
        index: doc.index,
        question: doc.index % ROTATION_STRIDE,
        rotation: Math.floor(doc.index / ROTATION_STRIDE),
        prediction,
        extracted: got?.letter ?? null,
        via: got?.via ?? null,
        answer: doc.answer,
        correct: got?.letter === doc.answer ? 1 : 0,
        category: doc.category,
        l2Category: doc.l2Category,
        judge: MMBENCH_JUDGE,
      };
    },
    aggregate(logs) {
      const allRight = new Map<number, boolean>();
      for (const l of logs) allRight.set(l.question, (allRight.get(l.question) ?? true) && l.correct === 1);
      const mains = logs.filter((l) => l.rotation === 0);
      if (mains.length === 0) throw new Error(`mmbench_${lang}_dev: no rotation-0 rows to score`);
      const hits = mains.filter((l) => allRight.get(l.question)).length;
      return [{ metric: "gpt_eval_score", value: (hits / mains.length) * 100, n: mains.length }];
    },
    headline: { [lang === "en" ? "MMBench-En" : "MMBench-Cn"]: "gpt_eval_score" },
    headlineScale: { [lang === "en" ? "MMBench-En" : "MMBench-Cn"]: 1 },
    // A prediction the rule-based extraction maps to no option is scored wrong (there is no judge to ask).
    answeredInFormat: (log) => typeof log.extracted === "string",
    // Per row (one rotation of a question): the circular score needs every rotation right.
    scoredAnswer: (log) => ({ given: log.extracted ?? "(no option)", truth: log.answer }),
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
    notes: { judge: MMBENCH_JUDGE },
  };
}

export const mmbenchEnDev = makeMmbench("en");
export const mmbenchCnDev = makeMmbench("cn");
