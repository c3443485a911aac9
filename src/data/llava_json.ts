/**
 * LLaVA's dataset format: a JSON array of `{ id, image?, conversations: [{ from: "human" | "gpt",
 * value }] }` with the `<image>` placeholder in the first human turn, beside a folder of images.
 * The reader validates every field and names the file, sample and field of the first problem; the
 * same code reads generated and real (LLaVA-665K, LCS-558K, ShareGPT4V) files.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { IMAGE_PLACEHOLDER } from "../models/templates/template.js";
import { readJsonFile, writeJson } from "../util/jsonl.js";


export interface LlavaTurn {
  from: "human" | "gpt";
  value: string;
}

export interface LlavaSample {
  id: string;
  /** Image path relative to the dataset's image folder; absent for text-only samples. */
  image?: string;
  conversations: LlavaTurn[];
}

function fail(file: string, index: number, id: unknown, field: string, expected: string, got: unknown): never {
  const idPart = typeof id === "string" || typeof id === "number" ? ` (id ${JSON.stringify(id)})` : "";
  throw new Error(`${file}: sample ${index}${idPart}: field "${field}": expected ${expected}, got ${JSON.stringify(got)?.slice(0, 80) ?? String(got)}`);
}

/** Validates one parsed sample; `index` is its position in the array. */
export function validateLlavaSample(raw: unknown, file: string, index: number): LlavaSample {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(file, index, undefined, "", "an object", raw);
  const r = raw as Record<string, unknown>;
  // Real LLaVA files use string ids, and a few use numbers: both read as strings.
  if (typeof r["id"] !== "string" && typeof r["id"] !== "number") fail(file, index, r["id"], "id", "a string", r["id"]);
  const id = String(r["id"]);
  if (r["image"] !== undefined && (typeof r["image"] !== "string" || r["image"] === "")) fail(file, index, id, "image", "a non-empty string path", r["image"]);
  const conversations = r["conversations"];
  if (!Array.isArray(conversations) || conversations.length < 2) fail(file, index, id, "conversations", "an array of at least two turns", conversations);
  const turns = conversations.map((t: unknown, k): LlavaTurn => {
    if (typeof t !== "object" || t === null) fail(file, index, id, `conversations[${k}]`, "an object", t);
    const turn = t as Record<string, unknown>;
    const expectedFrom = k % 2 === 0 ? "human" : "gpt";
    if (turn["from"] !== expectedFrom) fail(file, index, id, `conversations[${k}].from`, `"${expectedFrom}" (turns alternate, human first)`, turn["from"]);
    if (typeof turn["value"] !== "string") fail(file, index, id, `conversations[${k}].value`, "a string", turn["value"]);
    return { from: expectedFrom, value: turn["value"] };
  });
  const placeholders = turns.reduce((n, t) => n + t.value.split(IMAGE_PLACEHOLDER).length - 1, 0);
  const image = typeof r["image"] === "string" ? r["image"] : undefined;
  if (image !== undefined && (placeholders !== 1 || !turns[0]!.value.includes(IMAGE_PLACEHOLDER))) {
    fail(file, index, id, "conversations[0].value", `exactly one "${IMAGE_PLACEHOLDER}" placeholder, in the first human turn`, turns[0]!.value);
  }
  if (image === undefined && placeholders > 0) fail(file, index, id, "image", `an image path (the conversation has a "${IMAGE_PLACEHOLDER}" placeholder)`, r["image"]);
  return image === undefined ? { id, conversations: turns } : { id, image, conversations: turns };
}

export function validateLlavaSamples(raw: unknown, file: string): LlavaSample[] {
  if (!Array.isArray(raw)) throw new Error(`${file}: expected a JSON array of samples, got ${typeof raw}`);
  const seen = new Map<string, number>();
  return raw.map((r: unknown, i) => {
    const sample = validateLlavaSample(r, file, i);
    const first = seen.get(sample.id);
    if (first !== undefined) throw new Error(`${file}: sample ${i}: duplicate id ${JSON.stringify(sample.id)} (first at sample ${first})`);
    seen.set(sample.id, i);
    return sample;
  });
}

/** The absolute path of an image inside `imageFolder`; throws if the path leaves the folder. */
export function resolveImagePath(imageFolder: string, image: string, where: string): string {
  const root = resolve(imageFolder);
  const full = resolve(root, image);
  const rel = relative(root, full);
  if (isAbsolute(image) || rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) {
    throw new Error(`${where}: image path ${JSON.stringify(image)} leaves the image folder ${root}`);
  }
  return full;
}

export interface LlavaDataset {
  file: string;
  imageFolder: string;
  samples: LlavaSample[];
}

/**
 * Reads and validates a LLaVA JSON file. With `checkImages`, every referenced image must exist as a
 * non-empty file inside `imageFolder` (decoding errors surface, with the path, when pixels load).
 */
export function readLlavaJson(file: string, imageFolder: string, options: { checkImages?: boolean } = {}): LlavaDataset {
  const samples = validateLlavaSamples(readJsonFile(file), file);
  samples.forEach((s, i) => {
    if (s.image === undefined) return;
    const where = `${file}: sample ${i} (id ${JSON.stringify(s.id)}): field "image"`;
    const path = resolveImagePath(imageFolder, s.image, where);
    if (options.checkImages !== false) {
      if (!existsSync(path)) throw new Error(`${where}: image file ${path} does not exist`);
      if (statSync(path).size === 0) throw new Error(`${where}: image file ${path} is empty`);
    }
  });
  return { file, imageFolder, samples };
}

/** Validates, then writes atomically: a bad sample never replaces a good file. */
export function writeLlavaJson(file: string, samples: readonly LlavaSample[]): void {
  validateLlavaSamples(samples, file);
  writeJson(file, samples);
}
