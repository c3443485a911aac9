/**
 * A protocol edited from a JSON file, to try a recipe before it becomes a preset's: the file holds
 * the fields to change, merged over the preset's protocol, e.g.
 *
 *   { "version": 3, "stage2": { "learningRate": 5e-4, "globalBatch": 64, "microBatch": 16,
 *     "samples": 64000, "questionsFirst": { "samples": 48000, "families": { "colour": 1 } } } }
 *
 * Every field is checked against the protocol's shape; an error names the file, the field and what
 * was expected.
 */
import { readFileSync } from "node:fs";
import { FAMILY_NAMES } from "../data/questions.js";
import { PROJECTOR_INITS, projectorDepth } from "../models/llava/projector.js";
import { hashString } from "../util/random.js";
import { mixtureSamples, type Protocol } from "./protocol.js";

type Check = (value: unknown, field: string) => void;
type Shape = { readonly [key: string]: Check | Shape };

const fail = (field: string, expected: string, value: unknown): never => {
  throw new Error(`field "${field}": expected ${expected}, got ${JSON.stringify(value)}`);
};
const whole: Check = (v, f) => void (Number.isInteger(v) && (v as number) >= 1 ? 0 : fail(f, "a whole number ≥ 1", v));
const fraction: Check = (v, f) => void (typeof v === "number" && v >= 0 && v < 1 ? 0 : fail(f, "a number from 0 to below 1", v));
const positive: Check = (v, f) => void (typeof v === "number" && Number.isFinite(v) && v > 0 ? 0 : fail(f, "a positive number", v));
const nonNegative: Check = (v, f) => void (typeof v === "number" && Number.isFinite(v) && v >= 0 ? 0 : fail(f, "a number ≥ 0", v));
const flag: Check = (v, f) => void (typeof v === "boolean" ? 0 : fail(f, "true or false", v));
const projector: Check = (v, f) => {
  if (typeof v !== "string") fail(f, "a projector name such as mlp2x_gelu", v);
  try {
    projectorDepth(v as string);
  } catch (err) {
    throw new Error(`field "${f}": ${(err as Error).message}`);
  }
};
const projectorInit: Check = (v, f) => void ((PROJECTOR_INITS as readonly unknown[]).includes(v) ? 0 : fail(f, PROJECTOR_INITS.join(" or "), v));
const families: Check = (v, f) => {
  if (typeof v !== "object" || v === null || Array.isArray(v) || Object.keys(v).length === 0) fail(f, `question families with weights, e.g. {"colour": 1}`, v);
  for (const [family, weight] of Object.entries(v as object)) {
    if (!(FAMILY_NAMES as readonly string[]).includes(family)) throw new Error(`field "${f}.${family}": not a question family; expected one of ${FAMILY_NAMES.join(", ")}`);
    positive(weight, `${f}.${family}`);
  }
};

const stage: Shape = { samples: whole, globalBatch: whole, microBatch: whole, learningRate: positive, warmupFraction: fraction, weightDecay: nonNegative, clipNorm: positive };
const PROTOCOL_SHAPE: Shape = {
  version: whole,
  projector,
  projectorInit,
  trainScenes: whole,
  validationScenes: whole,
  systemPrompt: flag,
  stage1: stage,
  stage2: { ...stage, questionsFirst: { samples: whole, families } },
  eval: { batchSize: whole, maxNewTokens: whole },
};

/** `base` with `edits` merged in, each edited field checked against `shape`. */
function merge(base: Record<string, unknown>, edits: unknown, shape: Shape, path: string): Record<string, unknown> {
  if (typeof edits !== "object" || edits === null || Array.isArray(edits)) fail(path || "(the file)", "an object of fields", edits);
  const out = { ...base };
  for (const [key, value] of Object.entries(edits as object)) {
    const field = path ? `${path}.${key}` : key;
    const check = shape[key];
    if (check === undefined) throw new Error(`unknown field "${field}"; expected one of ${Object.keys(shape).join(", ")}`);
    if (typeof check === "function") {
      check(value, field);
      out[key] = value;
    } else {
      const before = base[key] as Record<string, unknown> | undefined;
      out[key] = merge(before ?? {}, value, check, field);
      // A part the preset does not have (stage2.questionsFirst) must be given whole.
      if (before === undefined) for (const required of Object.keys(check)) if (!(required in (out[key] as object))) throw new Error(`field "${field}": "${required}" is missing`);
    }
  }
  return out;
}

/** `base` with the edits of a parsed JSON value; an error names the field and what it expected. */
export function editProtocol(base: Protocol, edits: unknown): Protocol {
  const protocol = merge(base as unknown as Record<string, unknown>, edits, PROTOCOL_SHAPE, "") as unknown as Protocol;
  for (const name of ["stage1", "stage2"] as const) {
    const { globalBatch, microBatch } = protocol[name];
    if (globalBatch % microBatch !== 0) throw new Error(`field "${name}.globalBatch": ${globalBatch} is not a multiple of ${name}.microBatch, ${microBatch}`);
  }
  try {
    mixtureSamples(protocol.stage2);
  } catch (err) {
    throw new Error(`field "stage2.questionsFirst.samples": ${(err as Error).message}`);
  }
  return protocol;
}

/** `base` with the edits in a JSON file; errors name the file. */
export function readProtocolFile(file: string, base: Protocol): Protocol {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${file}: cannot read the protocol file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let edits: unknown;
  try {
    edits = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message})`);
  }
  try {
    return editProtocol(base, edits);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

/** Eight hex digits that name a protocol's settings (the folder of runs under an edited protocol). */
export const protocolKey = (protocol: Protocol): string => hashString(JSON.stringify(protocol)).toString(16).padStart(8, "0");
