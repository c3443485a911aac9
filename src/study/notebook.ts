/**
 * What each lab notebook does first: the study grid at the notebook's preset ($LLAVA_MORE_PRESET,
 * `small` by default) and its dataset, then the grid's finished runs — from the results archive
 * (results/small, committed) and the runs folder. Nothing is trained unless training is opted in
 * ($LLAVA_MORE_TRAIN=1, or `train: true`): a fresh clone's notebooks show what the archive holds and
 * name the runs it lacks and the command that trains them. Opted in, the zoo entries the grid needs
 * are built when missing (a few steps at `tiny`) and every unfinished run is trained, archived at
 * `small` as by `npx llava-more study`; the tests' tiny notebooks leave the archive alone.
 */
import { join, relative } from "node:path";
import type { ColumnTable } from "arquero";
import { Dataset, defaultDatasetDir } from "../data/dataset.js";
import { baselineScores, questionPrior } from "../benchmarks/baselines.js";
import type { LabScoreReferences } from "../analysis/lab_figures.js";
import { generateDataset } from "../benchmarks/dataset.js";
import { formShares, type EffectRow, type FormShares } from "../analysis/lab_effects.js";
import { defaultLabDir, writeFindings } from "../analysis/lab_report.js";
import { archiveRoot } from "./archive.js";
import { findingsInputs, otherBuildResults } from "./results.js";
import { runsRoot } from "./run.js";
import type { RunResult } from "../analysis/run_record.js";
import { notebookPreset, notebookSteps, TRAIN_ENV, trainingOptedIn } from "../data/presets.js";
import type { Preset } from "../presets.js";
import { buildZoo } from "../zoo/zoo.js";
import { projectRoot } from "../util/paths.js";
import { expandGrid } from "./grid.js";
import { studyGrid, type StudyDefinition, type StudyName } from "./grids.js";
import { mergeStudy, runStudy, studyKernels, type StudyOutcome } from "./runner.js";

export interface NotebookStudy extends StudyOutcome {
  preset: Preset;
  study: StudyDefinition;
  /** Runs of the grid that neither the archive nor the runs folder holds (left untrained: no opt-in). */
  missing: string[];
  /** The image-blind references of the grid's items (text-only prior, a random option), for `labScoresFigure`. */
  references: LabScoreReferences;
}

/** The text-only prior and chance on the items the grid is evaluated on. */
function studyReferences(preset: Preset, study: StudyDefinition): LabScoreReferences {
  const dataset = new Dataset(defaultDatasetDir(preset, 0));
  return { prior: questionPrior(dataset, study.evalLimit), chance: baselineScores("random-option", dataset, study.evalLimit) };
}

/** The notebook of each lab grid. */
export const STUDY_NOTEBOOKS: Partial<Record<StudyName, string>> = {
  llms: "notebooks/03_llm_comparison.ipynb",
  backbones: "notebooks/04_visual_backbones.ipynb",
  sizeResolution: "notebooks/05_resolution_and_scale.ipynb",
  pretraining: "notebooks/06_pretraining_data.ipynb",
  calibration: "notebooks/07_calibration.ipynb",
};

const show = (path: string): string => relative(projectRoot(), path) || path;

export interface NotebookStudyOptions {
  workers?: number;
  /** Train the grid's unfinished runs (default: $LLAVA_MORE_TRAIN, see trainingOptedIn). */
  train?: boolean;
}

export async function runNotebookStudy(name: StudyName, options: NotebookStudyOptions = {}): Promise<NotebookStudy> {
  const preset = notebookPreset();
  const study = studyGrid(name, preset);
  // The dataset: archived results are checked against its key, and the findings' text-only prior reads it.
  await generateDataset({ preset, seed: 0, progress: false });
  if (!(options.train ?? trainingOptedIn())) return readNotebookStudy(name, study, preset);
  const entries = [...new Set(expandGrid(study).flatMap((p) => [p.tower, p.llm]))];
  const zoo = await buildZoo({ preset, only: entries, steps: notebookSteps(preset), progress: false, log: console.log });
  if (zoo.built.length > 0) console.log(`built zoo entries: ${zoo.built.join(", ")}`);
  console.log(`${study.title}: ${expandGrid(study).length} runs at the ${preset} preset`);
  // Runs go to child processes: the kernel's heap (tslab's TypeScript compiler) would slow training in
  // it by a third or more. The tests' tiny runs last seconds, too short to gain from it.
  const outcome = await runStudy({ study, preset, workers: options.workers ?? 1, isolate: preset !== "tiny", ...notebookArchive(preset), log: console.log });
  console.log(`${outcome.ran.length} runs now, ${outcome.skipped.length} finished before, ${outcome.failed.length} failed; ${(outcome.seconds / 60).toFixed(1)} min`);
  for (const f of outcome.failed) console.log(`failed: ${f.id}: ${f.error}`);
  return { ...outcome, preset, study, missing: outcome.failed.map((f) => f.id), references: studyReferences(preset, study) };
}

/** The grid's finished runs, read from the archive and the runs folder; nothing trained. */
function readNotebookStudy(name: StudyName, study: StudyDefinition, preset: Preset): NotebookStudy {
  const started = Date.now();
  const archive = notebookArchive(preset);
  const merged = mergeStudy({ study, preset, ...archive });
  const pairings = expandGrid(study);
  const missing = merged.lacking;
  const where = [...(archive.archiveDir !== undefined ? [`the archive ${show(archive.archiveDir)}`] : []), `the runs folder ${show(runsRoot(preset))}`].join(" and ");
  console.log(`${study.title}: ${pairings.length} runs at the ${preset} preset; ${merged.finished} read from ${where}, none trained (training is opt-in: ${TRAIN_ENV}=1)`);
  if (merged.finished === 0) {
    // Nothing to show: say so here rather than let the first figure fail on an empty table.
    throw new Error(`no run of the ${name} grid is finished at the ${preset} preset in ${where}, and training is opt-in. ${missingRunsAdvice(name, preset)}`);
  }
  if (missing.length > 0) {
    console.log(`missing ${missing.length} of ${pairings.length} runs: ${missing.join(", ")}`);
    console.log(missingRunsAdvice(name, preset));
    console.log(`the tables below show the ${merged.finished} runs there are`);
  }
  return { pairings, skipped: merged.results.map((r) => r.id), ran: [], failed: [], results: merged.results, table: merged.table, files: merged.files, seconds: (Date.now() - started) / 1000, preset, study, missing, references: studyReferences(preset, study) };
}

/** How to train a grid's missing runs: the CLI (resumable, no cell time-out), or the notebook opted in. */
export function missingRunsAdvice(name: StudyName, preset: Preset): string {
  const presetArg = preset === "small" ? "" : ` --preset ${preset}`;
  return [
    `To train them: npx llava-more study --grid ${name}${presetArg} --workers 2 (it needs the ${preset} zoo: npm run zoo -- --preset ${preset}), then run this notebook again;`,
    `or let the notebook train: ${preset === "small" ? "" : `LLAVA_MORE_PRESET=${preset} `}${TRAIN_ENV}=1 npm run notebooks -- ${STUDY_NOTEBOOKS[name] ?? "NOTEBOOK.ipynb"} (no cell time-out when training; runs take minutes to hours each at small)`,
  ].join(" ");
}

/** The committed archive at `small`, the preset whose findings are committed; none at the others. */
const notebookArchive = (preset: Preset): { archiveDir?: string } => (preset === "small" ? { archiveDir: archiveRoot(preset) } : {});

export interface StudyFindings {
  /** Every run of the preset finished at the grid's evaluation setting (other grids' runs too). */
  results: RunResult[];
  table: ColumnTable;
  effects: EffectRow[];
  /** README column → the text-only question prior on the same items. */
  prior: Record<string, number>;
  /** Pairing → benchmark → share of its answers in the benchmark's form (benchmarks with one). */
  inForm: FormShares;
  /** The same contrasts on each run's accuracy above its answer habit (`beyondHabitEffects`). */
  habitEffects: EffectRow[];
  files: string[];
}

/**
 * effects.csv and findings.md over every finished run of the notebook's preset at its grid's
 * evaluation setting — what `npx llava-more findings --eval-limit N` writes. They go to figures/lab/
 * at `small` (the committed ones) and beside the runs at other presets, so the tests' tiny
 * notebooks leave the committed files alone.
 */
export function writeStudyFindings(lab: NotebookStudy): StudyFindings {
  const runs = runsRoot(lab.preset);
  const dataDir = defaultDatasetDir(lab.preset, 0);
  const kernels = studyKernels(lab.study);
  const archiveDir = notebookArchive(lab.preset).archiveDir;
  const { results, table, prior, answers } = findingsInputs(runs, dataDir, { ...(lab.study.evalLimit !== undefined ? { evalLimit: lab.study.evalLimit } : {}), ...(archiveDir !== undefined ? { archiveDir } : {}), kernels });
  if (!prior) throw new Error(`${dataDir}: no dataset for the text-only baseline; generate it with: npx llava-more generate-data`);
  const outDir = lab.preset === "small" ? defaultLabDir() : join(runs, "findings");
  // At small, the runs on other zoo builds (runs/small-zooN, results/small-zooN) too, as the CLI's findings.
  const builds = archiveDir !== undefined ? otherBuildResults(lab.preset, dataDir, lab.study.evalLimit, kernels) : [];
  const { files, effects, habits } = writeFindings(table, outDir, { prior, results, answers, ...(builds.length > 0 ? { builds } : {}) });
  return { results, table, effects, prior, inForm: formShares(table, answers), habitEffects: habits, files };
}
