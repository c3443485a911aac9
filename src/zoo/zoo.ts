/**
 * The model zoo: every vision tower pretrained with its own objective and every LLM of the study
 * pretrained on the world's text, built once per preset and seed and kept on disk — the lab tier's
 * equivalent of downloading pretrained checkpoints. Each entry is saved (fp16 safetensors + config
 * + tokenizer or text side) with its manifest (objective, data, steps, seed, backend, final loss,
 * probe scores, wall time); entries already built with the same settings are skipped, and an entry
 * interrupted mid-way resumes from its last training checkpoint.
 */
import { kernelBuild, PORTABLE_CLASS } from "../backend/kernel_build.js";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { backendInfo } from "../backend/index.js";
import { Dataset, defaultDatasetDir, type DatasetManifest, type DatasetPart } from "../data/dataset.js";
import { generateDataset } from "../benchmarks/dataset.js";
import { probeTower } from "../probes/tower_probes.js";
import { loadCheckpoint, readConfig, saveCheckpoint } from "../models/checkpoint.js";
import type { Preset } from "../presets.js";
import { isVisionFamily, VISION_FAMILIES, type VisionConfig, type VisionFamily } from "../models/vision/config.js";
import { VisionTower } from "../models/vision/vit.js";
import { checkSeed, hashString } from "../util/random.js";
import { readJsonFile, writeJson } from "../util/jsonl.js";
import { projectRoot } from "../util/paths.js";
import { towerObjective } from "../train/objectives/registry.js";
import type { TextSide } from "../train/objectives/objective.js";
import { ZOO_LLM_BUILDERS } from "./llms.js";
import { folderBytes } from "../util/fs.js";
import { mean } from "../util/stats.js";
import { thinCurve, type ZooEntryManifest } from "./entry.js";

export type { ZooEntryManifest } from "./entry.js";

/** Bumped when a change to training makes built entries stale. */
export const ZOO_VERSION = 1;

export interface ZooManifest {
  preset: string;
  seed: number;
  dataset: string;
  entries: Record<string, ZooEntryManifest>;
}

export interface BuildZooOptions {
  preset?: Preset;
  seed?: number;
  dir?: string;
  /** Build only these entries (tower families or LLM names). */
  only?: readonly string[];
  /** Overrides every recipe's steps (tests). */
  steps?: number;
  progress?: boolean;
  log?: (line: string) => void;
}

/** Where zoos live: $LLAVA_MORE_ZOO, else data/zoo/ in the project (seed 0 as the preset's name). */
export const defaultZooDir = (preset: string, seed: number): string => join(process.env["LLAVA_MORE_ZOO"] ?? join(projectRoot(), "data", "zoo"), seed === 0 ? preset : `${preset}-seed${seed}`);

/**
 * The seed a zoo was built with (its manifest's; 0 for a folder without one). Each seed is another
 * build of every backbone: same recipes, another draw of the world's data and of the weights.
 */
export function zooSeedOf(zoo: string): number {
  const file = join(zoo, "zoo.json");
  return existsSync(file) ? (readJsonFile(file) as ZooManifest).seed : 0;
}

/**
 * The name of the runs and results folders of a zoo build: the preset's for seed 0, else
 * "<preset>-zoo<seed>" (runs/small-zoo1, results/small-zoo1), so runs on another build of the
 * backbones never replace the seed-0 zoo's runs of the same pairing.
 */
export const zooBuildLabel = (preset: string, zooSeed: number): string => (zooSeed === 0 ? preset : `${preset}-zoo${zooSeed}`);

/** Every entry name of a zoo, towers first. */
export const zooEntryNames = (): string[] => [...VISION_FAMILIES, ...Object.keys(ZOO_LLM_BUILDERS)];


/** The preset's recipe of an entry (tower objective or LLM builder). */
const entryRecipe = (preset: Preset, name: string): object =>
  isVisionFamily(name) ? towerObjective(name).recipe(preset) : ZOO_LLM_BUILDERS[name]!.recipe(preset);

/** The dataset parts the zoo reads: towers and LLMs never see the stage-2 mixture or the benchmark files. */
const ZOO_PARTS = ["images", "scenes", "text", "stage1"] as const satisfies readonly DatasetPart[];

/**
 * What of a dataset the zoo's entries depend on: the content of the parts they read, so a change to
 * stage-2 data or benchmarks leaves the zoo valid. A dataset whose manifest has no part hashes
 * (written before they were recorded) is identified by its key.
 */
export function zooDataKey(manifest: Pick<DatasetManifest, "key" | "parts">): string {
  const parts = manifest.parts;
  if (!parts || ZOO_PARTS.some((p) => parts[p] === undefined)) return manifest.key;
  return hashString(JSON.stringify(ZOO_PARTS.map((p) => parts[p]))).toString(16).padStart(8, "0");
}

/**
 * What an entry is built from: changing any of it (the recipe included) rebuilds the entry. The kernel
 * build's class (src/backend/kernel_build.ts) counts too; the portable bits add nothing, so the zoos
 * built before builds were recorded, all in the portable bits, keep their keys.
 */
const entryKey = (preset: Preset, seed: number, name: string, steps: number | undefined, datasetKey: string, kernels: string): string =>
  hashString(JSON.stringify({ v: ZOO_VERSION, preset, seed, name, steps, datasetKey, recipe: entryRecipe(preset, name), ...(kernels !== PORTABLE_CLASS ? { kernels } : {}) })).toString(16).padStart(8, "0");

/**
 * The key a build of an entry from this dataset gets, whether or not it is built: without `steps`, the
 * key of `npx llava-more zoo`'s default build (every recipe at its own steps, in the portable bits).
 */
export const zooBuildKey = (preset: Preset, seed: number, name: string, manifest: Pick<DatasetManifest, "key" | "parts">, steps?: number, kernels: string = PORTABLE_CLASS): string =>
  entryKey(preset, seed, name, steps, zooDataKey(manifest), kernels);

/** The build key of a zoo entry, from the zoo's manifest; undefined when the zoo has no such entry. */
export function zooEntryKey(zoo: string, name: string): string | undefined {
  const file = join(zoo, "zoo.json");
  return existsSync(file) ? (readJsonFile(file) as ZooManifest).entries[name]?.key : undefined;
}

export const towerDir = (zoo: string, family: VisionFamily): string => join(zoo, "towers", family);

async function buildTower(zoo: string, dataset: Dataset, family: VisionFamily, options: Required<Pick<BuildZooOptions, "preset" | "seed">> & BuildZooOptions, key: string): Promise<ZooEntryManifest> {
  const objective = towerObjective(family);
  const work = join(zoo, ".work", family);
  const result = await objective.pretrain({ dataset, family, preset: options.preset, seed: options.seed, checkpointDir: work, progress: options.progress, steps: options.steps });
  const probes = await probeTower(dataset, result.tower, result.textSide, { progress: options.progress });
  const dir = towerDir(zoo, family);
  rmSync(dir, { recursive: true, force: true });
  saveCheckpoint(dir, result.tower, result.tower.config, { dtype: "F16", metadata: { objective: objective.name } });
  result.textSide?.save(join(dir, "text"));
  const entry: ZooEntryManifest = {
    kind: "tower",
    name: family,
    key,
    objective: objective.name,
    summary: objective.summary,
    data: result.data,
    steps: result.steps,
    batchSize: result.batchSize,
    seed: options.seed,
    backend: backendInfo().name,
    finalLoss: mean(result.losses.slice(-10)),
    finalTerms: result.finalTerms,
    lossCurve: thinCurve(result.losses),
    probes: { ...probes } as unknown as Record<string, number>,
    parameters: result.tower.parameterCount(),
    bytes: folderBytes(dir),
    seconds: result.seconds,
  };
  writeJson(join(dir, "entry.json"), entry);
  result.tower.dispose();
  result.textSide?.dispose();
  for (const m of Object.values(result.extras)) m.dispose();
  rmSync(work, { recursive: true, force: true });
  return entry;
}

/** Builds every missing entry of the zoo (generating the dataset first if needed). */
export async function buildZoo(options: BuildZooOptions = {}): Promise<{ dir: string; manifest: ZooManifest; built: string[]; skipped: string[] }> {
  const preset = options.preset ?? "small";
  const seed = checkSeed(options.seed ?? 0, "zoo seed");
  const zoo = options.dir ?? defaultZooDir(preset, seed);
  const log = options.log ?? (() => {});
  const generated = await generateDataset({ preset, seed, outDir: defaultDatasetDir(preset, seed), progress: options.progress, log });
  const dataset = new Dataset(generated.dir);
  const manifestFile = join(zoo, "zoo.json");
  const manifest: ZooManifest = existsSync(manifestFile) ? (readJsonFile(manifestFile) as ZooManifest) : { preset, seed, dataset: dataset.manifest.key, entries: {} };
  const names = options.only ?? zooEntryNames();
  const unknown = names.filter((n) => !zooEntryNames().includes(n));
  if (unknown.length > 0) throw new Error(`unknown zoo entr${unknown.length > 1 ? "ies" : "y"} ${unknown.join(", ")}; expected some of ${zooEntryNames().join(", ")}`);
  const built: string[] = [];
  const skipped: string[] = [];
  const kernels = kernelBuild().class;
  for (const name of names) {
    const key = zooBuildKey(preset, seed, name, dataset.manifest, options.steps, kernels);
    if (manifest.entries[name]?.key === key) {
      skipped.push(name);
      continue;
    }
    log(`building ${name} …`);
    const full = { ...options, preset, seed };
    const entry = isVisionFamily(name)
      ? await buildTower(zoo, dataset, name, full, key)
      : await ZOO_LLM_BUILDERS[name]!.build(zoo, dataset, full, key);
    manifest.entries[name] = entry;
    writeJson(manifestFile, manifest);
    log(`built ${name} in ${entry.seconds.toFixed(0)} s: final loss ${entry.finalLoss.toFixed(3)}`);
    built.push(name);
  }
  return { dir: zoo, manifest, built, skipped };
}

/** A zoo tower's manifest and config, without building the tower; a clear error when it is not built. */
export function zooTowerEntry(zoo: string, family: VisionFamily): { entry: ZooEntryManifest; config: VisionConfig } {
  const dir = towerDir(zoo, family);
  if (!existsSync(join(dir, "entry.json"))) throw new Error(`${dir}: no ${family} tower in the zoo; build it with: npm run zoo -- --only ${family}`);
  return { entry: readJsonFile(join(dir, "entry.json")) as ZooEntryManifest, config: readConfig<VisionConfig>(dir) };
}

/** A tower from the zoo (and its text side, for text-aligned towers). */
export function loadZooTower(zoo: string, family: VisionFamily): { tower: VisionTower; textSide?: TextSide } {
  const dir = towerDir(zoo, family);
  const tower = new VisionTower(zooTowerEntry(zoo, family).config, 0);
  loadCheckpoint(dir, tower);
  const objective = towerObjective(family);
  const textSide = existsSync(join(dir, "text")) && objective.loadTextSide ? objective.loadTextSide(join(dir, "text")) : undefined;
  return textSide ? { tower, textSide } : { tower };
}
