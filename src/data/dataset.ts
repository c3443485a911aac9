/**
 * Generates a whole lab-tier dataset to disk — scenes, images, the LLM text corpora, the three
 * stage-1 caption sets, the stage-2 mixture and the ten benchmark files — and loads it back.
 * Generation writes into a temporary folder renamed into place at the end, so a crash never leaves
 * a half dataset where a good one was; a folder whose manifest has the same key is reused (cache).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { Preset } from "../presets.js";
import { checkSeed, hashString, Random } from "../util/random.js";
import { progressBar } from "../util/progress.js";
import { readJsonFile, readJsonl, writeJson, writeJsonl } from "../util/jsonl.js";
import { projectRoot } from "../util/paths.js";
import { folderBytes, folderHash, folderStamp, removeStalePartials, writeFileAtomic } from "../util/fs.js";
import { decodeImage, encodePng, renderScene, type RawImage } from "../world/render.js";
import { sampleScene, sceneSignature, type Scene } from "../world/scene.js";
import { CAPTION_INSTRUCTIONS, CAPTION_STYLES, caption, type CaptionStyle } from "./captions.js";
import { firstTurn, instructionSample } from "./instructions.js";
import { readLlavaJson, resolveImagePath, writeLlavaJson, type LlavaDataset, type LlavaSample } from "./llava_json.js";
import type { DatasetPreset } from "./presets.js";
import { reasoningDocument, textDocument, type TextDoc } from "./text_corpus.js";

/** Bumped whenever generation changes what it writes, so cached datasets are regenerated. */
export const GENERATOR_VERSION = 1;

export interface DatasetManifest {
  generator: "llava-more-world";
  version: number;
  key: string;
  preset: string;
  seed: number;
  config: DatasetPreset;
  counts: Record<string, number>;
  bytes: Record<string, number>;
  /** SHA-1 of each part's files (absent in manifests written before parts were hashed). */
  parts?: Partial<Record<DatasetPart, string>>;
  seconds: number;
}

/** The folders of a dataset. Consumers key their caches on the parts they read (the zoo reads no stage-2 data). */
export const DATASET_PARTS = ["images", "scenes", "text", "stage1", "stage2", "benchmarks"] as const;
export type DatasetPart = (typeof DATASET_PARTS)[number];

export interface BenchmarkItem<Doc> {
  /** The scene whose image the doc is asked about. */
  sceneId: string;
  doc: Doc;
  /** The ideal short answer (an option letter, "yes", a word): what baselines and tests compare to. */
  target: string;
  /** For multiple choice, the text of the right option (the question prior learns texts, not letters). */
  answerText?: string;
}

/**
 * Writes the benchmark files of a dataset being generated into `dir` (`<task>.jsonl` each, asked
 * about the held-out scenes) and returns each file's item count by task. The benchmarks sit above
 * data: src/benchmarks/dataset.ts gives it (`writeBenchmarkFiles`, every registered benchmark).
 */
export type BenchmarkFilesWriter = (dir: string, scenes: { train: readonly Scene[]; test: readonly Scene[] }, config: DatasetPreset, seed: number) => Record<string, number>;

export interface GenerateOptions {
  preset?: Preset;
  /**
   * Overrides of the preset (tests use smaller sizes); src/benchmarks/dataset.ts's `generateDataset`
   * gives the preset's own (`DATASET_PRESETS`, with every registered benchmark's size) otherwise.
   */
  config?: DatasetPreset;
  seed?: number;
  outDir?: string;
  /** Replace an existing dataset generated with other settings. */
  force?: boolean;
  log?: (line: string) => void;
  progress?: boolean;
}

/** Where generated datasets live: $LLAVA_MORE_DATA, else data/generated/ in the project. */
export const generatedDataRoot = (): string => process.env["LLAVA_MORE_DATA"] ?? join(projectRoot(), "data", "generated");
export const defaultDatasetDir = (preset: string, seed: number): string => join(generatedDataRoot(), `${preset}-seed${seed}`);

const datasetKey = (config: DatasetPreset, seed: number): string => hashString(JSON.stringify({ v: GENERATOR_VERSION, config, seed })).toString(16).padStart(8, "0");

/** Training and held-out scenes; a held-out scene identical to a training scene is redrawn. */
export function sampleSplits(config: DatasetPreset, seed: number): { train: Scene[]; test: Scene[] } {
  const pad = (i: number): string => String(i).padStart(6, "0");
  const train = [...Array(config.trainScenes).keys()].map((i) => sampleScene(Random.stream(seed, "scene", "train", i), `train-${pad(i)}`, config.world));
  const seen = new Set(train.map(sceneSignature));
  const test: Scene[] = [];
  for (let i = 0; i < config.testScenes; i++) {
    for (let attempt = 0; ; attempt++) {
      const scene = sampleScene(Random.stream(seed, "scene", "test", i, attempt), `test-${pad(i)}`, config.world);
      if (!seen.has(sceneSignature(scene))) {
        seen.add(sceneSignature(scene));
        test.push(scene);
        break;
      }
      if (attempt > 1000) throw new Error("scene sampler: cannot draw a held-out scene that differs from every training scene");
    }
  }
  return { train, test };
}

export const SPLITS: readonly string[] = ["train", "test"];

export const imageFile = (sceneId: string): string => `${sceneId}.png`;

async function renderAll(scenes: readonly Scene[], config: DatasetPreset, imageDir: string, show: boolean): Promise<void> {
  mkdirSync(imageDir, { recursive: true });
  const bar = progressBar("images", scenes.length, { silent: !show });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < scenes.length) {
      const scene = scenes[next++]!;
      writeFileSync(join(imageDir, imageFile(scene.id)), await encodePng(await renderScene(scene, config.world)));
      bar.tick();
    }
  };
  await Promise.all([...Array(4)].map(worker));
  bar.done();
}

function captionSet(style: CaptionStyle, scenes: readonly Scene[], seed: number): LlavaSample[] {
  return scenes.map((scene) => {
    const rng = Random.stream(seed, "caption", style, scene.id);
    return {
      id: `${style}-${scene.id}`,
      image: imageFile(scene.id),
      conversations: [
        { from: "human", value: firstTurn(rng.pick(CAPTION_INSTRUCTIONS)) },
        { from: "gpt", value: caption(style, scene, rng) },
      ],
    };
  });
}

/**
 * Generates (or reuses) the dataset `config` describes, its benchmark files written by
 * `writeBenchmarks`, and returns its manifest and folder. Callers use src/benchmarks/dataset.ts's
 * `generateDataset`, which gives every registered benchmark and the preset's config.
 */
export async function generateDatasetWith(writeBenchmarks: BenchmarkFilesWriter, options: GenerateOptions & { preset: Preset; config: DatasetPreset }): Promise<{ dir: string; manifest: DatasetManifest; cached: boolean }> {
  const { preset, config } = options;
  const seed = checkSeed(options.seed ?? 0, "dataset seed");
  const dir = options.outDir ?? defaultDatasetDir(preset, seed);
  const log = options.log ?? (() => {});
  const show = options.progress !== false;
  const key = datasetKey(config, seed);
  if (existsSync(join(dir, "manifest.json"))) {
    const existing = readJsonFile(join(dir, "manifest.json")) as Partial<DatasetManifest>;
    if (existing.key === key) return { dir, manifest: existing as DatasetManifest, cached: true };
    // The same settings written by an older generator: a stale cache, regenerated without asking.
    const outdated = existing.generator === "llava-more-world" && existing.version !== GENERATOR_VERSION && existing.seed === seed && JSON.stringify(existing.config) === JSON.stringify(config);
    if (outdated) log(`${dir} was generated by generator version ${existing.version ?? "?"}; regenerating with version ${GENERATOR_VERSION}`);
    else if (!options.force) throw new Error(`${dir} holds a dataset generated with other settings (key ${existing.key ?? "?"}, want ${key}); pass --force to replace it or choose another --out`);
  } else if (existsSync(dir) && readdirSync(dir).length > 0 && !options.force) {
    throw new Error(`${dir} exists and is not a generated dataset (no manifest.json); choose another --out`);
  }

  const started = Date.now();
  const tmp = `${dir}.partial-${process.pid}`;
  for (const stale of removeStalePartials(dir)) log(`removed ${stale}, left by a generation that was killed`);
  mkdirSync(tmp, { recursive: true });
  try {
    log(`scenes: ${config.trainScenes} training, ${config.testScenes} held out`);
    const { train, test } = sampleSplits(config, seed);
    writeJsonl(join(tmp, "scenes", "train.jsonl"), train);
    writeJsonl(join(tmp, "scenes", "test.jsonl"), test);
    await renderAll([...train, ...test], config, join(tmp, "images"), show);

    const counts: Record<string, number> = { "scenes/train": train.length, "scenes/test": test.length, images: train.length + test.length };
    const textBar = progressBar("corpora", config.textDocuments + config.reasoningDocuments + config.stage2Samples, { silent: !show });
    const text: TextDoc[] = [];
    for (let i = 0; i < config.textDocuments; i++, textBar.tick()) text.push(textDocument(train, seed, i));
    const reasoning: TextDoc[] = [];
    for (let i = 0; i < config.reasoningDocuments; i++, textBar.tick()) reasoning.push(reasoningDocument(train, seed, i));
    const stage2: LlavaSample[] = [];
    for (let i = 0; i < config.stage2Samples; i++, textBar.tick()) stage2.push(instructionSample(train, seed, i, (s) => imageFile(s.id)));
    textBar.done();
    writeJsonl(join(tmp, "text", "pretrain.jsonl"), text);
    writeJsonl(join(tmp, "text", "reasoning.jsonl"), reasoning);
    counts["text/pretrain"] = text.length;
    counts["text/reasoning"] = reasoning.length;
    for (const style of CAPTION_STYLES) {
      writeLlavaJson(join(tmp, "stage1", `${style}.json`), captionSet(style, train, seed));
      counts[`stage1/${style}`] = train.length;
    }
    writeLlavaJson(join(tmp, "stage2", "mixture.json"), stage2);
    counts["stage2/mixture"] = stage2.length;

    for (const [task, n] of Object.entries(writeBenchmarks(join(tmp, "benchmarks"), { train, test }, config, seed))) counts[`benchmarks/${task}`] = n;

    const bytes: Record<string, number> = {};
    const parts: Partial<Record<DatasetPart, string>> = {};
    for (const part of DATASET_PARTS) {
      bytes[part] = folderBytes(join(tmp, part));
      parts[part] = folderHash(join(tmp, part));
    }
    const manifest: DatasetManifest = { generator: "llava-more-world", version: GENERATOR_VERSION, key, preset, seed, config, counts, bytes, parts, seconds: (Date.now() - started) / 1000 };
    writeJson(join(tmp, "manifest.json"), manifest);
    mkdirSync(dirname(dir), { recursive: true });
    if (existsSync(dir)) {
      const old = `${dir}.old-${process.pid}`;
      renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, dir);
    }
    return { dir, manifest, cached: false };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function readScenes(file: string): Scene[] {
  return readJsonl(file).map(({ line, value }) => {
    const s = value as Partial<Scene>;
    if (typeof s.id !== "string" || !Array.isArray(s.objects)) throw new Error(`${file}:${line}: expected a scene with "id" and "objects"`);
    return value as Scene;
  });
}

export interface LoadedItem<Doc = unknown> extends BenchmarkItem<Doc> {
  /** Image path inside the dataset's image folder. */
  image: string;
}

/** A generated dataset on disk (or any folder in the same layout). */
export class Dataset {
  readonly manifest: DatasetManifest;
  readonly imageDir: string;

  constructor(readonly dir: string) {
    const file = join(dir, "manifest.json");
    if (!existsSync(file)) throw new Error(`${dir}: no manifest.json; generate the dataset with: npx llava-more generate-data`);
    this.manifest = readJsonFile(file) as DatasetManifest;
    const { generator, version, preset } = this.manifest;
    if (generator === "llava-more-world" && version !== GENERATOR_VERSION) {
      throw new Error(`${dir}: generated by generator version ${version}, but this workbench writes version ${GENERATOR_VERSION}; regenerate it with: npx llava-more generate-data --preset ${preset}`);
    }
    this.imageDir = join(dir, "images");
  }

  scenes(split: "train" | "test"): Scene[] {
    if (!SPLITS.includes(split)) throw new Error(`unknown split "${split}"; expected one of ${SPLITS.join(", ")}`);
    return readScenes(join(this.dir, "scenes", `${split}.jsonl`));
  }

  stage1(style: CaptionStyle): LlavaDataset {
    if (!CAPTION_STYLES.includes(style)) throw new Error(`unknown caption set "${style}"; expected one of ${CAPTION_STYLES.join(", ")}`);
    return readLlavaJson(join(this.dir, "stage1", `${style}.json`), this.imageDir);
  }

  stage2(): LlavaDataset {
    return readLlavaJson(join(this.dir, "stage2", "mixture.json"), this.imageDir);
  }

  text(corpus: "pretrain" | "reasoning"): TextDoc[] {
    return readJsonl(join(this.dir, "text", `${corpus}.jsonl`)).map(({ value }) => value as TextDoc);
  }

  /** The items of one benchmark, each doc validated by the task's own parser. */
  benchmark<T extends BenchmarkFileTask>(task: T): { task: T; items: LoadedItem[] } {
    return readBenchmarkFile(task, join(this.dir, "benchmarks", `${task.name}.jsonl`), this.imageDir);
  }

  /**
   * The key of what a consumer reads, as it is on disk now: `base` (default: the manifest's key) while
   * every part in `parts` holds the files its manifest recorded, else a key of `base` and the parts'
   * present contents. So runs and caches keyed by it are reused on unchanged data and made anew when a
   * file was edited, added or removed. A manifest written before parts were hashed has no record to
   * compare with: its `base` is kept.
   */
  contentKey(parts: readonly DatasetPart[], base: string = this.manifest.key): string {
    const recorded = this.manifest.parts;
    if (!recorded) return base;
    const now = this.partHashes(parts);
    if (parts.every((p) => now[p] === recorded[p])) return base;
    return hashString(JSON.stringify({ base, parts: parts.map((p) => now[p]) })).toString(16).padStart(8, "0");
  }

  /** Part hashes this object has looked up: a run asks for them more than once (its keys, its feature cache). */
  private readonly hashed = new Map<DatasetPart, string>();

  /**
   * SHA-1 of each part's files now (as the manifest's `parts`), looked up once per part by this
   * object. A part is read again only when its stamp — file paths, sizes and modification times —
   * differs from the one recorded with its hash in `cache/content.json`; a dataset folder that cannot
   * be written to is hashed each time.
   */
  partHashes(parts: readonly DatasetPart[]): Partial<Record<DatasetPart, string>> {
    const out: Partial<Record<DatasetPart, string>> = {};
    const todo = parts.filter((part) => !this.hashed.has(part));
    if (todo.length > 0) this.lookUpParts(todo);
    for (const part of parts) out[part] = this.hashed.get(part)!;
    return out;
  }

  private lookUpParts(parts: readonly DatasetPart[]): void {
    const file = join(this.dir, "cache", "content.json");
    const known = existsSync(file) ? (readJsonFile(file) as Partial<Record<DatasetPart, { stamp: string; hash: string }>>) : {};
    let changed = false;
    for (const part of parts) {
      const folder = join(this.dir, part);
      const stamp = existsSync(folder) ? folderStamp(folder) : "missing";
      if (known[part]?.stamp !== stamp) {
        known[part] = { stamp, hash: existsSync(folder) ? folderHash(folder) : "missing" };
        changed = true;
      }
      this.hashed.set(part, known[part]!.hash);
    }
    if (changed) {
      try {
        writeFileAtomic(file, JSON.stringify(known, null, 2) + "\n");
      } catch {
        // A read-only dataset: the hashes are simply computed again next time.
      }
    }
  }

  async image(path: string): Promise<RawImage> {
    const full = resolveImagePath(this.imageDir, path, `${relative(process.cwd(), this.dir) || this.dir}`);
    try {
      return await decodeImage(full);
    } catch (err) {
      throw new Error(`${full}: cannot decode image (${err instanceof Error ? err.message : String(err)})`);
    }
  }
}

/**
 * What reading a benchmark file needs of its task (an lmms-eval task, src/eval/task.ts, given by the
 * caller): the file's name, the doc parser and the doc id.
 */
export interface BenchmarkFileTask {
  name: string;
  parseDoc(raw: unknown, where: string): unknown;
  docId(doc: unknown): string;
}

/** Reads a benchmark JSONL file (`{"image", "doc", "target"}` per line) with errors naming file and line. */
export function readBenchmarkFile<T extends BenchmarkFileTask>(task: T, file: string, imageDir: string): { task: T; items: LoadedItem[] } {
  const ids = new Map<string, number>();
  const items = readJsonl(file).map(({ line, value }) => {
    const where = `${file}:${line}`;
    const row = value as Record<string, unknown>;
    if (typeof row !== "object" || row === null) throw new Error(`${where}: expected an object with "image", "doc" and "target"`);
    if (typeof row["image"] !== "string") throw new Error(`${where}: field "image": expected a path string`);
    resolveImagePath(imageDir, row["image"], `${where}: field "image"`);
    const doc = task.parseDoc(row["doc"], where);
    const id = task.docId(doc);
    const first = ids.get(id);
    if (first !== undefined) throw new Error(`${where}: duplicate question id ${JSON.stringify(id)} (first on line ${first})`);
    ids.set(id, line);
    const target = typeof row["target"] === "string" ? row["target"] : "";
    const answerText = typeof row["answerText"] === "string" ? row["answerText"] : undefined;
    return { sceneId: row["image"].replace(/\.png$/, ""), image: row["image"], doc, target, ...(answerText !== undefined ? { answerText } : {}) };
  });
  return { task, items };
}
