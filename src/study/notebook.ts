/**
 * What each lab notebook does first: the study grid at the notebook's preset ($LLAVA_MORE_PRESET,
 * `small` by default), the dataset and the zoo entries it needs (built when missing, a few steps at
 * `tiny`), then every unfinished run of the grid. Runs already finished are read back, so a notebook
 * run again only redraws. At `small` the results archive (results/small, committed) is read and
 * written as by `npx llava-more study`; the tests' tiny notebooks leave it alone.
 */
import { join } from "node:path";
import type { ColumnTable } from "arquero";
import { defaultDatasetDir } from "../data/dataset.js";
import { generateDataset } from "../benchmarks/dataset.js";
import { formShares, type EffectRow, type FormShares } from "../analysis/lab_effects.js";
import { defaultLabDir, writeFindings } from "../analysis/lab_report.js";
import { archiveRoot } from "./archive.js";
import { findingsInputs, otherBuildResults } from "./results.js";
import { runsRoot } from "./run.js";
import type { RunResult } from "../analysis/run_record.js";
import { notebookPreset, notebookSteps } from "../data/presets.js";
import type { Preset } from "../presets.js";
import { buildZoo } from "../zoo/zoo.js";
import { expandGrid } from "./grid.js";
import { studyGrid, type StudyDefinition, type StudyName } from "./grids.js";
import { runStudy, type StudyOutcome } from "./runner.js";

export interface NotebookStudy extends StudyOutcome {
  preset: Preset;
  study: StudyDefinition;
}

export async function runNotebookStudy(name: StudyName, options: { workers?: number } = {}): Promise<NotebookStudy> {
  const preset = notebookPreset();
  const study = studyGrid(name, preset);
  await generateDataset({ preset, seed: 0, progress: false });
  const entries = [...new Set(expandGrid(study).flatMap((p) => [p.tower, p.llm]))];
  const zoo = await buildZoo({ preset, only: entries, steps: notebookSteps(preset), progress: false, log: console.log });
  if (zoo.built.length > 0) console.log(`built zoo entries: ${zoo.built.join(", ")}`);
  console.log(`${study.title}: ${expandGrid(study).length} runs at the ${preset} preset`);
  // Runs go to child processes: the kernel's heap (tslab's TypeScript compiler) would slow training in
  // it by a third or more. The tests' tiny runs last seconds, too short to gain from it.
  const outcome = await runStudy({ study, preset, workers: options.workers ?? 1, isolate: preset !== "tiny", ...notebookArchive(preset), log: console.log });
  console.log(`${outcome.ran.length} runs now, ${outcome.skipped.length} finished before, ${outcome.failed.length} failed; ${(outcome.seconds / 60).toFixed(1)} min`);
  for (const f of outcome.failed) console.log(`failed: ${f.id}: ${f.error}`);
  return { ...outcome, preset, study };
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
  const { results, table, prior, answers } = findingsInputs(runs, dataDir, lab.study.evalLimit, notebookArchive(lab.preset).archiveDir);
  if (!prior) throw new Error(`${dataDir}: no dataset for the text-only baseline; generate it with: npx llava-more generate-data`);
  const outDir = lab.preset === "small" ? defaultLabDir() : join(runs, "findings");
  // At small, the runs on other zoo builds (runs/small-zooN, results/small-zooN) too, as the CLI's findings.
  const builds = notebookArchive(lab.preset).archiveDir !== undefined ? otherBuildResults(lab.preset, dataDir, lab.study.evalLimit) : [];
  const { files, effects, habits } = writeFindings(table, outDir, { prior, results, answers, ...(builds.length > 0 ? { builds } : {}) });
  return { results, table, effects, prior, inForm: formShares(table, answers), habitEffects: habits, files };
}
