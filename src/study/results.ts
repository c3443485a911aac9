/** The results store: one result.json per run, merged into one arquero table (one row per run × benchmark). */
import type { ColumnTable } from "arquero";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { BENCHMARK_NAMES } from "../analysis/benchmarks.js";
import { labTable, type LabScoreRow } from "../analysis/lab_stats.js";
import { tableToCsv, type Cell } from "../analysis/render.js";
import { writeFileAtomic } from "../util/fs.js";
import { Dataset } from "../data/dataset.js";
import { baselineScores, questionPrior } from "../benchmarks/baselines.js";
import { topAnswers, type TopAnswer } from "../eval/results.js";
import { TASKS } from "../benchmarks/registry.js";
import { archivedIds, archivedResult, archiveRoot, archiveSourceOf, type ArchiveSource } from "./archive.js";
import { currentResult, evalSuffix, runsRoot } from "./run.js";
import type { Profile } from "../eval/profile.js";
import { resultKernels, type RunResult } from "../analysis/run_record.js";
import { zooBuildLabel } from "../zoo/zoo.js";

/** The README-column rows of one finished run. */
export function resultRows(result: RunResult): LabScoreRow[] {
  const { spec } = result;
  return BENCHMARK_NAMES.filter((b) => result.eval.headline[b] !== undefined).map((benchmark) => ({
    run: result.id,
    llm: result.llm.name,
    family: result.llm.family,
    size: result.llm.size,
    llm_params: result.llm.parameters,
    tower: spec.tower,
    resolution: result.tower.resolution,
    image_size: result.tower.side,
    s2: result.tower.s2,
    captions: spec.captions,
    seed: spec.seed,
    benchmark,
    score: result.eval.headline[benchmark]!,
  }));
}

/** Whether `result` is there and was computed with the kernel build of class `kernels` (any build when undefined). */
export const ofBuild = (result: RunResult | undefined, kernels: string | undefined): result is RunResult =>
  result !== undefined && (kernels === undefined || resultKernels(result) === kernels);

/** A finished result and the run folder it was read from. */
export interface FoundResult {
  result: RunResult;
  folder: string;
}

/**
 * Every finished, current result under `runsDir` (or only those of the runs named in `ids`) for an
 * evaluation setting (see evalSuffix), with the run folder it was read from; a run the folder lacks,
 * or holds only a stale result of, is read from the archive when one is given. Results of an older
 * protocol, dataset or zoo entry are left out (`currentResult`, `archivedResult`). Sorted by run id.
 */
export const findResults = (runsDir: string, options: FindOptions = {}): FoundResult[] => findResultsOfBuild(runsDir, options).found;

/**
 * `findResults`, and the runs it left out only because another kernel build than `options.kernels`
 * computed every finished result of theirs (the local one, else the archived one).
 */
export function findResultsOfBuild(runsDir: string, options: FindOptions = {}): { found: FoundResult[]; otherBuild: RunResult[] } {
  const suffix = options.suffix ?? "";
  const local = existsSync(runsDir) ? readdirSync(runsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name) : [];
  const ids = options.ids ?? [...new Set([...local, ...(options.archive ? archivedIds(options.archive.dir) : [])])].sort();
  const found: FoundResult[] = [];
  const otherBuild: RunResult[] = [];
  for (const id of ids) {
    const result = currentResult(join(runsDir, id), suffix);
    if (ofBuild(result, options.kernels)) {
      found.push({ result, folder: join(runsDir, id) });
      continue;
    }
    const archived = options.archive ? archivedResult(options.archive, id, suffix) : undefined;
    const leftOut = result ?? archived;
    if (ofBuild(archived, options.kernels)) found.push({ result: archived, folder: join(options.archive!.dir, id) });
    else if (leftOut) otherBuild.push(leftOut);
  }
  return { found, otherBuild };
}

export interface FindOptions {
  ids?: readonly string[];
  suffix?: string;
  archive?: ArchiveSource;
  /** Only results of this kernel build's class (src/backend/kernel_build.ts; a grid's, `studyKernels`); default: any. */
  kernels?: string;
}

export const readResults = (runsDir: string, options: FindOptions = {}): RunResult[] =>
  findResults(runsDir, options).map((r) => r.result);

export const mergeResults = (results: readonly RunResult[]): ColumnTable => labTable(results.flatMap(resultRows));

/** What effects.csv and findings.md are written from. */
export interface FindingsInputs {
  results: RunResult[];
  table: ColumnTable;
  /** README column → the text-only question prior on the same items; absent without the dataset. */
  prior?: Record<string, number>;
  /** README column → a random answer's score on the same items (the lab figures' chance line); absent without the dataset. */
  chance?: Record<string, number>;
  /** Run id → benchmark (README column) → its most frequent answer (from the run's sample logs). */
  answers: Record<string, Record<string, TopAnswer>>;
  /** Finished runs left out because another kernel build computed them: build class → runs. */
  otherKernels: Record<string, number>;
}

export interface FindingsOptions {
  /** Use the runs' evaluations on the first N items of each benchmark (default: the full evaluations). */
  evalLimit?: number;
  /** The results archive that stands in for runs the folder lacks. */
  archiveDir?: string;
  /** The zoo build the archive's results are checked against. */
  zoo?: { dir?: string; seed?: number };
  /** The scoring profile of the evaluations (default vendored). */
  lmmsEval?: Profile;
  /**
   * Only the runs of this kernel build's class: one comparison never mixes builds, whose bits differ.
   * Default: every build (tests and callers that have checked it themselves).
   */
  kernels?: string;
}

/**
 * Every current run in `runsDir` (and in the archive `archiveDir`, for runs the folder lacks) evaluated
 * on `evalLimit` items (all without it) under the scoring profile `lmmsEval` (default vendored) and
 * computed by the kernel build `kernels`, merged, with the question prior of those items (the
 * baselines' one-word answers are scored the vendored way). Archived results need the dataset to be
 * checked against; without it they are left out.
 */
export function findingsInputs(runsDir: string, datasetDir: string, options: FindingsOptions = {}): FindingsInputs {
  const { evalLimit, archiveDir, zoo = {}, lmmsEval, kernels } = options;
  const suffix = evalSuffix({ ...(evalLimit !== undefined ? { evalLimit } : {}), ...(lmmsEval !== undefined ? { lmmsEval } : {}) });
  const dataset = existsSync(join(datasetDir, "manifest.json")) ? new Dataset(datasetDir) : undefined;
  const archive = archiveDir !== undefined && dataset ? archiveSourceOf(archiveDir, dataset.manifest, zoo) : undefined;
  const { found, otherBuild } = findResultsOfBuild(runsDir, { suffix, ...(kernels !== undefined ? { kernels } : {}), ...(archive ? { archive } : {}) });
  const otherKernels: Record<string, number> = {};
  for (const result of otherBuild) otherKernels[resultKernels(result)] = (otherKernels[resultKernels(result)] ?? 0) + 1;
  const results = found.map((f) => f.result);
  const table = mergeResults(results);
  const answers = Object.fromEntries(found.map((f) => [f.result.id, topAnswers(join(f.folder, `eval${suffix}`), TASKS)]));
  return dataset ? { results, table, answers, otherKernels, prior: questionPrior(dataset, evalLimit), chance: baselineScores("random-option", dataset, evalLimit) } : { results, table, answers, otherKernels };
}

/** "; left out 3 runs of the avx512+SkylakeX kernel build (--kernels …)" — empty when none was left out. */
export function otherKernelsText(otherKernels: Record<string, number>, how: string): string {
  const parts = Object.entries(otherKernels).map(([build, n]) => `${n} run${n === 1 ? "" : "s"} of the ${build} kernel build`);
  return parts.length > 0 ? `; left out ${parts.join(" and ")} (${how})` : "";
}

/** Writes the merged table as CSV and JSON (atomically) and returns their paths. */
export function writeMergedTable(table: ColumnTable, file: string): string[] {
  const csv = `${file}.csv`;
  const json = `${file}.json`;
  const columns = table.columnNames();
  const rows = (table.objects() as Record<string, unknown>[]).map((o) => columns.map((c): Cell => (typeof o[c] === "number" || typeof o[c] === "string" ? (o[c] as Cell) : String(o[c]))));
  writeFileAtomic(csv, tableToCsv({ name: "results", title: "lab results", columns, rows }));
  writeFileAtomic(json, `${JSON.stringify(table.objects(), null, 1)}\n`);
  return [csv, json];
}

/** The zoo seeds other than 0 that have a runs folder or a results archive of this preset (runs/small-zoo1, …). */
export function otherZooBuilds(preset: string): number[] {
  const pattern = new RegExp(`^${preset}-zoo([1-9][0-9]*)$`);
  const seeds = new Set<number>();
  for (const root of [dirname(runsRoot(preset)), dirname(archiveRoot(preset))]) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      const match = entry.isDirectory() ? pattern.exec(entry.name) : null;
      if (match) seeds.add(Number(match[1]));
    }
  }
  return [...seeds].sort((a, b) => a - b);
}

/** One zoo build's runs, merged (see `findingsInputs`). */
export interface BuildResults {
  zooSeed: number;
  table: ColumnTable;
  results: RunResult[];
}

/**
 * The runs of every other zoo build of the preset (`otherZooBuilds`), each from its runs folder and
 * archive, evaluated on `evalLimit` items: what findings.md compares the seed-0 zoo's runs with.
 */
export function otherBuildResults(preset: string, datasetDir: string, evalLimit?: number, kernels?: string, zooSeeds: readonly number[] = otherZooBuilds(preset)): BuildResults[] {
  return zooSeeds.flatMap((zooSeed) => {
    const label = zooBuildLabel(preset, zooSeed);
    const { table, results } = findingsInputs(runsRoot(label), datasetDir, { ...(evalLimit !== undefined ? { evalLimit } : {}), archiveDir: archiveRoot(label), zoo: { seed: zooSeed }, ...(kernels !== undefined ? { kernels } : {}) });
    return results.length > 0 ? [{ zooSeed, table, results }] : [];
  });
}
