/**
 * The results archive: what a finished run needs for the findings — result.json and its evaluation's
 * results.json and sample logs (gzipped), no checkpoints — kept in `results/<preset>/<run id>/`,
 * which is committed. A fresh clone regenerates effects.csv and findings.md from it, and a study
 * skips the pairings it holds, so a grid longer than one machine's life finishes over several.
 *
 *   results/small/llama3.1-8b__clip-1x__short__s0/
 *     result-limit200.json
 *     eval-limit200/results.json, samples_<task>.jsonl.gz
 *
 * An archived result counts only while it is current: its key is the one the pairing would get now
 * from the local dataset and zoo — an entry the zoo has not built counts with the key its default
 * build would get (`zooBuildKey`), so a fresh clone needs no zoo to read the archive — and a
 * protocol, generator or zoo-recipe change retires it exactly as it retires a run folder's result.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Dataset, defaultDatasetDir, type DatasetManifest } from "../data/dataset.js";
import type { Preset } from "../presets.js";
import { PROTOCOLS } from "../train/protocol.js";
import { defaultZooDir, zooBuildKey, zooEntryKey, zooSeedOf } from "../zoo/zoo.js";
import { parseJsonLines, readJsonFile, writeJson } from "../util/jsonl.js";
import { writeFileAtomic } from "../util/fs.js";
import { projectRoot } from "../util/paths.js";
import { finishedResult, resultKey, resultOptions } from "./run.js";
import { resultKernels, type RunResult } from "../analysis/run_record.js";

/** Where archived results live: $LLAVA_MORE_RESULTS, else results/ in the project, one folder per preset. */
export const archiveRoot = (preset: string): string => join(process.env["LLAVA_MORE_RESULTS"] ?? join(projectRoot(), "results"), preset);

const SAMPLES = /^samples_[\w.-]+\.jsonl$/;

/**
 * Copies a finished run's result for one evaluation setting (`suffix`, see evalSuffix) into the
 * archive and returns the archived run folder. The old result file goes first and the new one is
 * written last, so a crash part-way leaves no result that names the wrong samples.
 */
export function archiveRun(runFolder: string, archive: string, suffix = ""): string {
  const result = finishedResult(runFolder, suffix);
  if (!result) throw new Error(`${join(runFolder, `result${suffix}.json`)}: no finished result to archive`);
  const evalFolder = join(runFolder, `eval${suffix}`);
  if (!existsSync(join(evalFolder, "results.json"))) throw new Error(`${evalFolder}: no results.json; evaluate the run again before archiving it`);
  // A damaged sample log (cut mid-line, or short of lines) is refused before anything is replaced:
  // the archive is committed, and findings would read it as the run's answers.
  const samples = readdirSync(evalFolder).filter((f) => SAMPLES.test(f)).sort();
  for (const file of samples) checkSamples(join(evalFolder, file), result, join(runFolder, `result${suffix}.json`));
  const to = join(archive, result.id);
  const resultFile = join(to, `result${suffix}.json`);
  // One archive holds one kernel build's runs: the committed one, the portable bits (src/study/grids.ts).
  const before = finishedResult(to, suffix);
  if (before && resultKernels(before) !== resultKernels(result)) {
    throw new Error(`${resultFile} holds a run computed with the ${resultKernels(before)} kernel build; ${result.id} was computed with ${resultKernels(result)} and is not archived over it (src/backend/kernel_build.ts)`);
  }
  rmSync(resultFile, { force: true });
  const toEval = join(to, `eval${suffix}`);
  rmSync(toEval, { recursive: true, force: true });
  mkdirSync(toEval, { recursive: true });
  writeFileAtomic(join(toEval, "results.json"), readFileSync(join(evalFolder, "results.json")));
  for (const file of samples) {
    // Node's gzip header carries no time stamp: the same samples give the same bytes, and git sees no change.
    writeFileAtomic(join(toEval, `${file}.gz`), gzipSync(readFileSync(join(evalFolder, file)), { level: 9 }));
  }
  writeFileAtomic(resultFile, readFileSync(join(runFolder, `result${suffix}.json`)));
  recordZooDataset(runFolder, archive, result.preset);
  return to;
}

/**
 * A sample log is whole: every line JSON (a cut line names the file and line) and one line per item
 * the result counts for its task, so a file cut between lines is caught too.
 */
function checkSamples(file: string, result: RunResult, resultFile: string): void {
  const rows = parseJsonLines(readFileSync(file, "utf8"), file);
  const task = file.replace(/^.*samples_/, "").replace(/\.jsonl$/, "");
  const n = result.eval.tasks[task]?.n;
  if (n !== undefined && rows.length !== n) {
    throw new Error(`${file}: ${rows.length} sample lines, but ${resultFile} counts ${n} items of ${task}: the file is damaged; evaluate the run again`);
  }
}

/** Beside the runs of another zoo build: the dataset that build was pretrained on (key and part hashes). */
export const ZOO_DATASET = "zoo-dataset.json";

/**
 * For runs on a zoo built with a seed other than 0, records in the archive the manifest of the dataset
 * that zoo was pretrained on, so a clone without that zoo or dataset can still check the runs' keys.
 */
function recordZooDataset(runFolder: string, archive: string, preset: string): void {
  const runFile = join(runFolder, "run.json");
  const zoo = existsSync(runFile) ? (readJsonFile(runFile) as { zoo?: string }).zoo : undefined;
  const seed = zoo !== undefined ? zooSeedOf(zoo) : 0;
  const manifest = join(defaultDatasetDir(preset, seed), "manifest.json");
  if (seed === 0 || !existsSync(manifest)) return;
  const { key, parts } = readJsonFile(manifest) as DatasetManifest;
  writeJson(join(archive, ZOO_DATASET), { seed, key, parts });
}

/** The archive to read, the dataset its results must be current for, and the zoo (default: the preset's, seed 0). */
export interface ArchiveSource {
  dir: string;
  dataset: Pick<DatasetManifest, "key" | "parts">;
  zooDir?: string;
  /** The zoo build the archived runs started from (default 0; see zooBuildLabel). */
  zooSeed?: number;
  /** The dataset that zoo build was pretrained on (generated with its seed; default `dataset`, right for seed 0). */
  zooDataset?: Pick<DatasetManifest, "key" | "parts">;
}

/**
 * The source of an archive of runs on one zoo build: the zoo folder (default the preset's of that
 * seed) and, for a seed other than 0, the dataset that build was pretrained on: generated here, else
 * as the archive recorded it (zoo-dataset.json). An entry that zoo lacks is checked against the key
 * its default build gets from that dataset; without either, such a result counts as stale.
 */
export function archiveSourceOf(dir: string, dataset: DatasetManifest, zoo: { dir?: string; seed?: number } = {}): ArchiveSource {
  const seed = zoo.seed ?? (zoo.dir !== undefined ? zooSeedOf(zoo.dir) : 0);
  const zooData = [join(defaultDatasetDir(dataset.preset, seed), "manifest.json"), join(dir, ZOO_DATASET)].find((f) => existsSync(f));
  return {
    dir,
    dataset,
    ...(zoo.dir !== undefined ? { zooDir: zoo.dir } : {}),
    ...(seed !== 0 ? { zooSeed: seed } : {}),
    ...(seed !== 0 && zooData !== undefined ? { zooDataset: readJsonFile(zooData) as DatasetManifest } : {}),
  };
}

/** archiveSourceOf against the dataset generated in `datasetDir`; undefined without an archive or without that dataset to check it against. */
export function archiveSourceIn(dir: string | undefined, datasetDir: string, zoo: { dir?: string; seed?: number } = {}): ArchiveSource | undefined {
  if (dir === undefined || !existsSync(join(datasetDir, "manifest.json"))) return undefined;
  return archiveSourceOf(dir, new Dataset(datasetDir).manifest, zoo);
}

/** The key an archived result must carry to be current: its pairing and evaluation now, on this dataset and zoo. */
export function currentArchivedKey(result: RunResult, source: Omit<ArchiveSource, "dir">): string {
  const preset: Preset = result.preset;
  const zooSeed = source.zooSeed ?? 0;
  const zoo = source.zooDir ?? defaultZooDir(preset, zooSeed);
  const entryKey = (name: string): string => zooEntryKey(zoo, name) ?? zooBuildKey(preset, zooSeed, name, source.zooDataset ?? source.dataset);
  return resultKey(resultOptions(result), PROTOCOLS[preset], source.dataset.key, { llm: entryKey(result.spec.llm), tower: entryKey(result.spec.tower) });
}

/** The archived result of run `id` for an evaluation setting, if there is one and it is current. */
export function archivedResult(source: ArchiveSource, id: string, suffix: string): RunResult | undefined {
  const result = finishedResult(join(source.dir, id), suffix);
  return result && result.id === id && currentArchivedKey(result, source) === result.key ? result : undefined;
}

/** The run ids the archive holds a folder for. */
export const archivedIds = (archive: string): string[] =>
  existsSync(archive) ? readdirSync(archive, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [];
