/**
 * Dataset presets: how many scenes, documents and benchmark items each model preset generates.
 * `tiny` is for tests (seconds), `small` for the notebooks and the lab study (about a minute on
 * two cores), `base` for a patient machine.
 */
import type { Preset } from "../presets.js";
import type { WorldConfig } from "../world/scene.js";
import { WORLD_PRESETS } from "../world/presets.js";

export interface DatasetPreset {
  world: WorldConfig;
  trainScenes: number;
  testScenes: number;
  textDocuments: number;
  reasoningDocuments: number;
  stage2Samples: number;
  /** Items per benchmark task (MMBench: questions, each asked once per rotation; MME: questions). */
  benchmarkSizes: Record<string, number>;
}

/**
 * A dataset preset before its benchmark sizes, which each benchmark gives (its `itemsPerScale`,
 * src/benchmarks/<b>/generate.ts) and the benchmarks fill in (`DATASET_PRESETS`,
 * src/benchmarks/dataset.ts): its own number times `benchmarkScale`, rounded, at least 2.
 */
export interface DatasetScale extends Omit<DatasetPreset, "benchmarkSizes"> {
  benchmarkScale: number;
}

export const DATASET_SCALES: Record<Preset, DatasetScale> = {
  tiny: { world: WORLD_PRESETS.tiny, trainScenes: 120, testScenes: 240, textDocuments: 400, reasoningDocuments: 60, stage2Samples: 300, benchmarkScale: 0.2 },
  small: { world: WORLD_PRESETS.small, trainScenes: 12000, testScenes: 1500, textDocuments: 40000, reasoningDocuments: 4000, stage2Samples: 30000, benchmarkScale: 10 },
  base: { world: WORLD_PRESETS.base, trainScenes: 60000, testScenes: 5000, textDocuments: 200000, reasoningDocuments: 20000, stage2Samples: 150000, benchmarkScale: 30 },
};

/** The preset with its benchmark sizes, in the order of `itemsPerScale` (each task's items at scale 1). */
export function withBenchmarkSizes({ benchmarkScale, ...preset }: DatasetScale, itemsPerScale: Record<string, number>): DatasetPreset {
  return { ...preset, benchmarkSizes: scaled(Object.fromEntries(Object.entries(itemsPerScale).map(([task, n]) => [task, n * benchmarkScale]))) };
}

function scaled(sizes: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(sizes).map(([task, n]) => [task, Math.max(2, Math.round(n))]));
}

/** The preset notebooks use: $LLAVA_MORE_PRESET (tests set "tiny"), else `small`. */
export function notebookPreset(): Preset {
  const value = process.env["LLAVA_MORE_PRESET"] ?? "small";
  if (!(value in DATASET_SCALES)) throw new Error(`LLAVA_MORE_PRESET: expected one of ${Object.keys(DATASET_SCALES).join(", ")}, got "${value}"`);
  return value as Preset;
}

/** The environment variable that lets notebooks train (zoo and lab runs): LLAVA_MORE_TRAIN=1 (or true, yes). */
export const TRAIN_ENV = "LLAVA_MORE_TRAIN";

/** Whether notebooks may train ($LLAVA_MORE_TRAIN is 1, true or yes); without it they read the archive. */
export const trainingOptedIn = (): boolean => /^(1|true|yes)$/i.test(process.env[TRAIN_ENV] ?? "");

/** Training steps notebooks override recipes with: a few at `tiny` (tests), the recipes' own otherwise. */
export const notebookSteps = (preset: Preset): number | undefined => (preset === "tiny" ? 3 : undefined);
