/**
 * Reading real model outputs so they are scored by the same task code.
 *
 * Accepted layouts (one file, one task):
 * 1. lmms-eval `--log_samples`, JSON Lines (`<date>_samples_<task>.jsonl`, lmms-eval 0.2–0.3):
 *    one object per line with `doc_id`, `doc` (the HF dataset row, images as strings), `target`,
 *    `arguments`, `resps` ([[text]]), `filtered_resps` ([text]) and the process_results keys.
 *    The prediction is `filtered_resps` (what process_results saw), else `resps`, unwrapped from
 *    one-element lists (lmms-eval 0.4 writes them flat). lmms-eval 0.4 no longer writes `doc`;
 *    such files cannot be scored without the dataset and are refused with that reason.
 * 2. lmms-eval `--log_samples`, one JSON document (`<task>.json`, the vendored copy LLaVA-MORE
 *    ran): `{"args": …, "model_configs": …, "logs": [sample, …]}` with samples as in 1.
 * 3. Plain: one object per line, `{"question_id": …, "prediction": "…", "doc": {…}}`.
 * The doc may use our field names or the HF dataset's; each task's parseDoc maps them. A doc
 * without an id of its own takes `doc_id` (1) or `question_id` (3). Rows a task declares out of
 * scope (none today: SEED-Bench video rows are scored, into seed_video and seed_all) are skipped
 * and counted. Errors name the file and line. A file that is not valid UTF-8 is refused with the
 * line and byte offset of the first bad byte (decoding it would turn the bytes into U+FFFD and score
 * "Yes\uFFFD" as an answer).
 */

import { readFileSync } from "node:fs";
import { parseJsonLines } from "../util/jsonl.js";
import type { AnyTask, LmmsTask, MetricValue } from "./task.js";

export type PredictionLayout = "lmms-eval" | "plain";

export interface PredictionRecord<Doc> {
  doc: Doc;
  prediction: string;
  layout: PredictionLayout;
  /** "file:line", or "file: logs[i]" in a JSON document. */
  where: string;
}

export interface PredictionsFile<Doc> {
  path: string;
  records: PredictionRecord<Doc>[];
  skipped: Array<{ where: string; reason: string }>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function unwrapResponse(v: unknown, field: string, where: string): string {
  let x = v;
  for (let depth = 0; Array.isArray(x) && x.length === 1 && depth < 3; depth++) x = x[0];
  if (typeof x !== "string") {
    throw new Error(`${where}: field "${field}": expected a string or a one-element list holding one, found ${JSON.stringify(v).slice(0, 60)}`);
  }
  return x;
}

/** The raw doc (with the fallback id added) and the prediction of one sample object. */
function readSample(rec: unknown, where: string): { raw: Json; prediction: string; layout: PredictionLayout } {
  if (!isObject(rec)) throw new Error(`${where}: expected a JSON object per sample`);
  const plain = rec["prediction"] !== undefined;
  const resps = rec["filtered_resps"] !== undefined ? "filtered_resps" : rec["resps"] !== undefined ? "resps" : undefined;
  if (!plain && resps === undefined) {
    throw new Error(`${where}: missing field "prediction" (plain layout) or "filtered_resps"/"resps" (lmms-eval --log_samples layout)`);
  }
  if (rec["doc"] === undefined) {
    const hint = plain ? "" : " (lmms-eval 0.4 and later leave the dataset row out of samples files; log with 0.2–0.3 or use the plain layout)";
    throw new Error(`${where}: missing field "doc"${hint}`);
  }
  if (!isObject(rec["doc"])) throw new Error(`${where}: field "doc": expected an object`);
  const fallbackKey = plain ? "question_id" : "doc_id";
  const fallback = rec[fallbackKey];
  if (fallback !== undefined && typeof fallback !== "string" && !(typeof fallback === "number" && Number.isInteger(fallback))) {
    throw new Error(`${where}: field "${fallbackKey}": expected a string or an integer, found ${JSON.stringify(fallback)}`);
  }
  const raw = fallback === undefined || rec["doc"][fallbackKey] !== undefined ? rec["doc"] : { ...rec["doc"], [fallbackKey]: fallback };
  if (plain) {
    if (typeof rec["prediction"] !== "string") throw new Error(`${where}: field "prediction": expected a string`);
    return { raw, prediction: rec["prediction"], layout: "plain" };
  }
  return { raw, prediction: unwrapResponse(rec[resps as string], resps as string, where), layout: "lmms-eval" };
}

/** The sample objects of a file with where each comes from. */
function samplesOf(path: string, text: string): Array<{ value: unknown; where: string }> {
  if (text.trimStart().startsWith("{")) {
    try {
      const whole: unknown = JSON.parse(text);
      if (isObject(whole) && Array.isArray(whole["logs"])) {
        return whole["logs"].map((value, i) => ({ value, where: `${path}: logs[${i}]` }));
      }
    } catch {
      // Not one JSON document: JSON Lines.
    }
  }
  return parseJsonLines(text, path).map(({ line, value }) => ({ value, where: `${path}:${line}` }));
}

/**
 * The offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF, nothing cut short), or -1.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Length, and the range of the second byte (the first continuation byte) for this lead byte.
    const [length, lo, hi] =
      b >= 0xc2 && b <= 0xdf ? [2, 0x80, 0xbf]
      : b === 0xe0 ? [3, 0xa0, 0xbf]
      : b === 0xed ? [3, 0x80, 0x9f]
      : b >= 0xe1 && b <= 0xef ? [3, 0x80, 0xbf]
      : b === 0xf0 ? [4, 0x90, 0xbf]
      : b === 0xf4 ? [4, 0x80, 0x8f]
      : b >= 0xf1 && b <= 0xf3 ? [4, 0x80, 0xbf]
      : [0, 0, 0];
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (c === undefined || c < min || c > max) return i;
    }
    i += length;
  }
  return -1;
}

/** A predictions file's text; an error naming the line and byte offset when it is not valid UTF-8. */
export function readUtf8(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${err instanceof Error ? err.message : String(err)})`);
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad !== -1) {
    let [line, lineStart] = [1, 0];
    for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) [line, lineStart] = [line + 1, i + 1];
    const hex = Array.from(bytes.subarray(bad, Math.min(bad + 4, bytes.length)), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new Error(`${path}:${line}: not valid UTF-8 at byte offset ${bad} (byte ${bad - lineStart} of the line: ${hex}); save the predictions as UTF-8`);
  }
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function readPredictions<D, L extends object>(task: LmmsTask<D, L>, path: string): PredictionsFile<D> {
  const text = readUtf8(path);
  const records: PredictionRecord<D>[] = [];
  const skipped: PredictionsFile<D>["skipped"] = [];
  const seen = new Map<string, string>();
  for (const { value, where } of samplesOf(path, text)) {
    const { raw, prediction, layout } = readSample(value, where);
    const reason = task.outOfScope?.(raw);
    if (reason !== undefined) {
      skipped.push({ where, reason });
      continue;
    }
    const doc = task.parseDoc(raw, where);
    const key = task.docId(doc);
    const first = seen.get(key);
    if (first !== undefined) throw new Error(`${where}: duplicate question id "${key}" (first at ${first})`);
    seen.set(key, where);
    records.push({ doc, prediction, layout, where });
  }
  if (records.length === 0) throw new Error(`${path}: no predictions for ${task.name}${skipped.length ? ` (${skipped.length} skipped as out of scope)` : ""}`);
  return { path, records, skipped };
}

export interface ScoredFile {
  task: string;
  metrics: MetricValue[];
  n: number;
  logs: object[];
  /** Rows skipped as out of the task's scope. */
  skipped: number;
  notes?: Record<string, string>;
}

/** Reads a predictions file for `task` and scores it with the task's own code. */
export function scorePredictionsFile(task: AnyTask, path: string): ScoredFile {
  const { records, skipped } = readPredictions(task, path);
  const logs = records.map((r) => task.processResult(r.doc, r.prediction));
  return {
    task: task.name,
    metrics: task.aggregate(logs),
    n: records.length,
    logs,
    skipped: skipped.length,
    ...(task.notes ? { notes: task.notes } : {}),
  };
}
